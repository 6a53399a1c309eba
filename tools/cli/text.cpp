// Text <-> ids for the subcommands, through the model's tokenizer (C ABI only).
#include "text.h"

#include "common.h"

namespace cli {

std::vector<int32_t> tokenize_prompt(const maskkv_model* model, const std::string& text, bool chat) {
  const maskkv_tokenizer* tok = nullptr;
  cli::check(maskkv_model_get_tokenizer(model, &tok), "--prompt needs a tokenizer");
  std::string input = text;
  if (chat) {
    maskkv_chat_message msg{"user", text.c_str()};
    size_t len = 0;
    maskkv_status st = maskkv_apply_chat_template(tok, nullptr, &msg, 1, 1, nullptr, 0, &len);
    if (st != MASKKV_ERR_BUFFER_TOO_SMALL) cli::check(st, "applying the chat template");
    input.assign(len, '\0');
    cli::check(maskkv_apply_chat_template(tok, nullptr, &msg, 1, 1, input.data(), len, &len),
               "applying the chat template");
  }
  size_t n = 0;
  maskkv_status st = maskkv_tokenize(tok, input.data(), input.size(), chat ? 0 : 1, nullptr, 0, &n);
  if (st != MASKKV_ERR_BUFFER_TOO_SMALL && st != MASKKV_OK) cli::check(st, "tokenizing the prompt");
  std::vector<int32_t> ids(n);
  cli::check(maskkv_tokenize(tok, input.data(), input.size(), chat ? 0 : 1, ids.data(), n, &n),
             "tokenizing the prompt");
  ids.resize(n);
  return ids;
}

bool detokenize(const maskkv_model* model, const std::vector<int32_t>& ids, std::string* text) {
  const maskkv_tokenizer* tok = nullptr;
  if (maskkv_model_get_tokenizer(model, &tok) != MASKKV_OK) return false;
  size_t len = 0;
  maskkv_status st = maskkv_detokenize(tok, ids.data(), ids.size(), 1, nullptr, 0, &len);
  if (st != MASKKV_ERR_BUFFER_TOO_SMALL && st != MASKKV_OK) cli::check(st, "detokenizing");
  text->assign(len, '\0');
  cli::check(maskkv_detokenize(tok, ids.data(), ids.size(), 1, text->data(), len, &len), "detokenizing");
  text->resize(len);
  return true;
}

}  // namespace cli
