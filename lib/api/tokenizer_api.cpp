// The tokenizer part of the C ABI (include/maskkv.h): standalone tokenizer handles, tokenize,
// detokenize and chat templates. maskkv_model_get_tokenizer lives with the model API.
#include <filesystem>
#include <string>
#include <vector>

#include "api/guard.h"
#include "api/handles.h"
#include "api/options.h"
#include "io/gguf.h"
#include "io/gguf_tokenizer.h"
#include "maskkv.h"
#include "tokenizer/tokenizer.h"

using maskkv::Code;
using maskkv::check;
using maskkv::api::copy_out;
using maskkv::api::guard;
using maskkv::api::require_arg;

namespace {

std::vector<maskkv::tok::ChatMessage> chat_messages(const maskkv_chat_message* messages, size_t n) {
  check(messages != nullptr || n == 0, Code::invalid_argument, "messages must not be NULL");
  std::vector<maskkv::tok::ChatMessage> msgs;
  msgs.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    check(messages[i].role != nullptr, Code::invalid_argument,
          "messages[" + std::to_string(i) + "].role must not be NULL");
    check(messages[i].content != nullptr, Code::invalid_argument,
          "messages[" + std::to_string(i) + "].content must not be NULL");
    msgs.push_back({messages[i].role, messages[i].content});
  }
  return msgs;
}

void chat_defaults(maskkv_chat_options* o) {
  o->size = sizeof(*o);
  o->add_generation_prompt = 1;
  o->template_name = nullptr;
  o->parse_special = 0;
}

}  // namespace

extern "C" {

MASKKV_API maskkv_status maskkv_tokenizer_load(const char* path, maskkv_tokenizer** out) {
  return guard([&] {
    require_arg(out, "out");
    *out = nullptr;
    require_arg(path, "path");
    // A downloaded tokenizer directory is as hostile as a model directory: none of the files
    // the loader opens from it (or tokenizer_config.json beside a file) may lead out of it.
    std::error_code ec;
    const std::filesystem::path p(path);
    if (maskkv::is_gguf_file(path)) {  // a GGUF model file's tokenizer.ggml.* metadata
      *out = new maskkv_tokenizer{maskkv::load_gguf_tokenizer(path)};
      return;
    }
    if (std::filesystem::is_directory(p, ec))
      maskkv::check_inside(path, {"tokenizer.json", "tokenizer.model", "vocab.json", "merges.txt",
                                  "tokenizer_config.json"});
    else if (p.has_parent_path())
      maskkv::check_inside(p.parent_path().string(), {"tokenizer_config.json"});
    else
      maskkv::check_inside(".", {"tokenizer_config.json"});
    auto impl = maskkv::tok::load_tokenizer(path);
    *out = new maskkv_tokenizer{std::move(impl)};
  });
}

MASKKV_API void maskkv_tokenizer_free(maskkv_tokenizer* tokenizer) { delete tokenizer; }

MASKKV_API maskkv_status maskkv_tokenize(const maskkv_tokenizer* tokenizer, const char* text,
                                         size_t text_len, int32_t add_special, int32_t* ids,
                                         size_t capacity, size_t* n_ids) {
  return guard([&] {
    require_arg(tokenizer, "tokenizer");
    require_arg(n_ids, "n_ids");
    check(text != nullptr || text_len == 0, Code::invalid_argument, "text must not be NULL");
    check(tokenizer->impl != nullptr, Code::invalid_argument, "tokenizer is not loaded");
    const std::string_view t(text ? text : "", text_len);
    std::vector<int32_t> v = tokenizer->impl->encode(t, add_special != 0);
    // One BOS, however the prompt was made: text that already begins with the BOS (a rendered
    // chat template) does not get a second one.
    if (add_special && v.size() >= 2 && v[0] == v[1] && tokenizer->impl->is_special(v[0])) {
      const std::vector<int32_t> plain = tokenizer->impl->encode(t, false);
      if (!plain.empty() && plain.front() == v[0] && v.size() > plain.size()) v.erase(v.begin());
    }
    copy_out(v.data(), v.size(), ids, capacity, n_ids, "ids");
  });
}

MASKKV_API maskkv_status maskkv_detokenize(const maskkv_tokenizer* tokenizer, const int32_t* ids,
                                           size_t n_ids, int32_t skip_special, char* text,
                                           size_t capacity, size_t* text_len) {
  return guard([&] {
    require_arg(tokenizer, "tokenizer");
    require_arg(text_len, "text_len");
    check(ids != nullptr || n_ids == 0, Code::invalid_argument, "ids must not be NULL");
    check(tokenizer->impl != nullptr, Code::invalid_argument, "tokenizer is not loaded");
    std::string s = tokenizer->impl->decode(ids, n_ids, skip_special != 0);
    copy_out(s.data(), s.size(), text, capacity, text_len, "text");
  });
}

MASKKV_API maskkv_status maskkv_apply_chat_template(const maskkv_tokenizer* tokenizer,
                                                    const char* template_name,
                                                    const maskkv_chat_message* messages,
                                                    size_t n_messages,
                                                    int32_t add_generation_prompt, char* text,
                                                    size_t capacity, size_t* text_len) {
  return guard([&] {
    require_arg(tokenizer, "tokenizer");
    require_arg(text_len, "text_len");
    check(messages != nullptr || n_messages == 0, Code::invalid_argument,
          "messages must not be NULL");
    check(tokenizer->impl != nullptr, Code::invalid_argument, "tokenizer is not loaded");
    std::vector<maskkv::tok::ChatMessage> msgs = chat_messages(messages, n_messages);
    std::string s = tokenizer->impl->apply_chat_template(msgs, add_generation_prompt != 0,
                                                         template_name ? template_name : "");
    copy_out(s.data(), s.size(), text, capacity, text_len, "text");
  });
}

MASKKV_API void maskkv_chat_default_options(maskkv_chat_options* options) {
  if (options) chat_defaults(options);
}

MASKKV_API maskkv_status maskkv_tokenize_chat(const maskkv_tokenizer* tokenizer,
                                              const maskkv_chat_message* messages,
                                              size_t n_messages,
                                              const maskkv_chat_options* options, int32_t* ids,
                                              size_t capacity, size_t* n_ids) {
  return guard([&] {
    require_arg(tokenizer, "tokenizer");
    require_arg(n_ids, "n_ids");
    check(tokenizer->impl != nullptr, Code::invalid_argument, "tokenizer is not loaded");
    const maskkv_chat_options o = maskkv::api::read_options(options, chat_defaults, "options");
    std::vector<int32_t> v = tokenizer->impl->encode_chat(
        chat_messages(messages, n_messages), o.add_generation_prompt != 0,
        o.template_name ? o.template_name : "", o.parse_special != 0);
    copy_out(v.data(), v.size(), ids, capacity, n_ids, "ids");
  });
}

}  // extern "C"
