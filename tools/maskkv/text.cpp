// Text <-> ids for the subcommands, through the model's tokenizer (C ABI only).
#include "text.h"

#include "common.h"

namespace cli {
namespace {

const maskkv_tokenizer* tokenizer_of(const maskkv_model* model) {
  const maskkv_tokenizer* tok = nullptr;
  check(maskkv_model_get_tokenizer(model, &tok), "a text prompt needs a tokenizer");
  return tok;
}

}  // namespace

std::vector<int32_t> tokenize_turns(const maskkv_model* model, const std::vector<Turn>& turns,
                                    const ChatSpec& chat) {
  const maskkv_tokenizer* tok = tokenizer_of(model);
  std::vector<maskkv_chat_message> msgs;
  if (!chat.system.empty()) msgs.push_back({"system", chat.system.c_str()});
  for (const Turn& t : turns) msgs.push_back({t.role.c_str(), t.content.c_str()});
  maskkv_chat_options o;
  maskkv_chat_default_options(&o);
  o.template_name = chat.template_name.empty() ? nullptr : chat.template_name.c_str();
  o.parse_special = chat.parse_special ? 1 : 0;
  size_t n = 0;
  maskkv_status st = maskkv_tokenize_chat(tok, msgs.data(), msgs.size(), &o, nullptr, 0, &n);
  if (st != MASKKV_ERR_BUFFER_TOO_SMALL) check(st, "applying the chat template");
  std::vector<int32_t> ids(n);
  check(maskkv_tokenize_chat(tok, msgs.data(), msgs.size(), &o, ids.data(), n, &n),
        "applying the chat template");
  ids.resize(n);
  return ids;
}

std::vector<int32_t> tokenize_prompt(const maskkv_model* model, const std::string& text,
                                     const ChatSpec& chat) {
  if (chat.enabled) return tokenize_turns(model, {{"user", text}}, chat);
  const maskkv_tokenizer* tok = tokenizer_of(model);
  size_t n = 0;
  maskkv_status st = maskkv_tokenize(tok, text.data(), text.size(), 1, nullptr, 0, &n);
  if (st != MASKKV_ERR_BUFFER_TOO_SMALL && st != MASKKV_OK) check(st, "tokenizing the prompt");
  std::vector<int32_t> ids(n);
  check(maskkv_tokenize(tok, text.data(), text.size(), 1, ids.data(), n, &n), "tokenizing the prompt");
  ids.resize(n);
  return ids;
}

bool detokenize(const maskkv_model* model, const std::vector<int32_t>& ids, std::string* text) {
  const maskkv_tokenizer* tok = nullptr;
  if (maskkv_model_get_tokenizer(model, &tok) != MASKKV_OK) return false;
  size_t len = 0;
  maskkv_status st = maskkv_detokenize(tok, ids.data(), ids.size(), 1, nullptr, 0, &len);
  if (st != MASKKV_ERR_BUFFER_TOO_SMALL && st != MASKKV_OK) check(st, "detokenizing");
  text->assign(len, '\0');
  check(maskkv_detokenize(tok, ids.data(), ids.size(), 1, text->data(), len, &len), "detokenizing");
  text->resize(len);
  return true;
}

bool response_text(const maskkv_model* model, const std::vector<int32_t>& ids, std::string* text) {
  maskkv_model_info info;
  info.size = sizeof(info);
  check(maskkv_model_get_info(model, &info), "reading model info");
  size_t end = 0;
  while (end < ids.size() && ids[end] != info.eos_id && !(info.eot_id >= 0 && ids[end] == info.eot_id)) ++end;
  return detokenize(model, std::vector<int32_t>(ids.begin(), ids.begin() + end), text);
}

}  // namespace cli
