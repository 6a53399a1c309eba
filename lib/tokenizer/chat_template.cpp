// The chat templates of the families maskkv runs, written out from their model cards rather
// than interpreted from Jinja:
//   llada  - LLaDA-8B-Instruct: "<|startoftext|>" then, per message,
//            "<|start_header_id|>ROLE<|end_header_id|>\n\n" + trim(CONTENT) + "<|eot_id|>";
//            the generation prompt is "<|start_header_id|>assistant<|end_header_id|>\n\n".
//   llama3 - Meta-Llama-3-8B-Instruct: the same shape with "<|begin_of_text|>".
//   chatml - Dream-v0-Instruct-7B (Qwen2.5 ChatML): a default system message "You are a
//            helpful assistant." unless the first message is a system one, then per message
//            "<|im_start|>ROLE\n" + CONTENT + "<|im_end|>\n"; the generation prompt is
//            "<|im_start|>assistant\n".
#include "core/error.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

namespace maskkv::tok {
namespace {

// Python's str.isspace(), which Jinja's trim filter uses.
bool py_space(uint32_t c) {
  return unicode::is_white_space(c) || (c >= 0x1C && c <= 0x1F);
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e) {
    size_t q = b;
    if (!py_space(unicode::next_cp(s, q))) break;
    b = q;
  }
  while (e > b) {
    size_t q = e;
    if (!py_space(unicode::prev_cp(s, q))) break;
    e = q;
  }
  return std::string(s.substr(b, e - b));
}

void check_message(const ChatMessage& m, size_t i) {
  if (m.role != "system" && m.role != "user" && m.role != "assistant")
    fail(Code::invalid_argument, "chat message " + std::to_string(i) + ": unknown role '" + m.role +
                                     "' (expected system, user or assistant)");
  size_t bad = unicode::find_invalid_utf8(m.content);
  if (bad != std::string::npos)
    fail(Code::invalid_argument, "chat message " + std::to_string(i) +
                                     ": invalid UTF-8 in the content at byte " + std::to_string(bad));
}

std::string render_header_style(const std::vector<ChatMessage>& msgs, bool gen, const char* bos) {
  std::string out;
  for (size_t i = 0; i < msgs.size(); ++i) {
    if (i == 0) out += bos;
    out += "<|start_header_id|>";
    out += msgs[i].role;
    out += "<|end_header_id|>\n\n";
    out += trim(msgs[i].content);
    out += "<|eot_id|>";
  }
  if (gen) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
  return out;
}

std::string render_chatml(const std::vector<ChatMessage>& msgs, bool gen) {
  std::string out;
  if (!msgs.empty() && msgs[0].role != "system")
    out += "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n";
  for (const ChatMessage& m : msgs) {
    out += "<|im_start|>";
    out += m.role;
    out += "\n";
    out += m.content;
    out += "<|im_end|>\n";
  }
  if (gen) out += "<|im_start|>assistant\n";
  return out;
}

}  // namespace

std::string Tokenizer::apply_chat_template(const std::vector<ChatMessage>& messages,
                                           bool add_generation_prompt,
                                           std::string_view template_name) const {
  std::string name(template_name);
  if (name.empty()) {
    name = chat_template_name_;
    if (name.empty())
      fail(Code::not_found,
           "the tokenizer names no chat template (tokenizer_config.json has none we recognise); "
           "pass one of llada, chatml, llama3");
  }
  for (size_t i = 0; i < messages.size(); ++i) check_message(messages[i], i);
  if (name == "llada") return render_header_style(messages, add_generation_prompt, "<|startoftext|>");
  if (name == "llama3")
    return render_header_style(messages, add_generation_prompt, "<|begin_of_text|>");
  if (name == "chatml" || name == "dream" || name == "qwen") return render_chatml(messages, add_generation_prompt);
  fail(Code::invalid_argument,
       "unknown chat template '" + name + "' (expected llada, chatml or llama3)");
}

}  // namespace maskkv::tok
