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
// Message contents are text: encode_chat keeps special-token spellings inside them (a user
// typing "<|eot_id|>") from becoming the special token, unless asked to parse them.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

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

// The rendered text and, for each message, the byte range its content occupies in it.
struct Rendered {
  std::string text;
  std::vector<std::pair<size_t, size_t>> content;

  void add_content(std::string_view c) {
    content.emplace_back(text.size(), text.size() + c.size());
    text += c;
  }
};

Rendered render_header_style(const std::vector<ChatMessage>& msgs, bool gen, const char* bos) {
  Rendered out;
  for (size_t i = 0; i < msgs.size(); ++i) {
    if (i == 0) out.text += bos;
    out.text += "<|start_header_id|>";
    out.text += msgs[i].role;
    out.text += "<|end_header_id|>\n\n";
    out.add_content(trim(msgs[i].content));
    out.text += "<|eot_id|>";
  }
  if (gen) out.text += "<|start_header_id|>assistant<|end_header_id|>\n\n";
  return out;
}

Rendered render_chatml(const std::vector<ChatMessage>& msgs, bool gen) {
  Rendered out;
  if (!msgs.empty() && msgs[0].role != "system")
    out.text += "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n";
  for (const ChatMessage& m : msgs) {
    out.text += "<|im_start|>";
    out.text += m.role;
    out.text += "\n";
    out.add_content(m.content);
    out.text += "<|im_end|>\n";
  }
  if (gen) out.text += "<|im_start|>assistant\n";
  return out;
}

bool is_family(const std::string& name) {
  return name == "llada" || name == "llama3" || name == "chatml" || name == "dream" || name == "qwen";
}

// A template given as the path of a Jinja file (a tokenizer_config.json "chat_template" saved on
// its own): recognised as one of the families, never interpreted.
std::string family_of_file(const std::string& path, const std::string& bos_token) {
  std::ifstream f(path, std::ios::binary);
  if (!f)
    fail(Code::io, "chat template '" + path + "': no such template name, and no readable file (" +
                       std::strerror(errno) + "); the names are llada, chatml and llama3");
  std::ostringstream ss;
  ss << f.rdbuf();
  const std::string name = detect_chat_template(ss.str(), bos_token);
  if (name.empty())
    fail(Code::unsupported, "chat template file '" + path +
                                "' is none of the families maskkv renders (llada, chatml, llama3)");
  return name;
}

}  // namespace

std::string Tokenizer::resolve_chat_template(std::string_view template_name) const {
  std::string name(template_name);
  if (name.empty()) {
    name = chat_template_name_;
    if (name.empty())
      fail(Code::not_found,
           "the tokenizer names no chat template (tokenizer_config.json has no chat_template, or one "
           "of a family maskkv does not render); give a template: llada, chatml, llama3 or a file");
    return name;
  }
  if (is_family(name)) return name;
  const bool looks_like_path = name.find('/') != std::string::npos || name.find('.') != std::string::npos;
  if (!looks_like_path)
    fail(Code::invalid_argument,
         "unknown chat template '" + name + "' (expected llada, chatml, llama3 or a template file)");
  // Without a configured BOS, LLaDA's own BOS token in the vocabulary tells LLaDA from Llama 3.
  const std::string bos =
      bos_token_.empty() && token_to_id("<|startoftext|>") >= 0 ? "<|startoftext|>" : bos_token_;
  return family_of_file(name, bos);
}

namespace {

Rendered render(const Tokenizer& t, const std::vector<ChatMessage>& messages, bool gen,
                std::string_view template_name) {
  const std::string name = t.resolve_chat_template(template_name);
  for (size_t i = 0; i < messages.size(); ++i) check_message(messages[i], i);
  if (name == "llada") return render_header_style(messages, gen, "<|startoftext|>");
  if (name == "llama3") return render_header_style(messages, gen, "<|begin_of_text|>");
  return render_chatml(messages, gen);
}

}  // namespace

std::string Tokenizer::apply_chat_template(const std::vector<ChatMessage>& messages,
                                           bool add_generation_prompt,
                                           std::string_view template_name) const {
  return render(*this, messages, add_generation_prompt, template_name).text;
}

std::vector<int32_t> Tokenizer::encode_chat(const std::vector<ChatMessage>& messages,
                                            bool add_generation_prompt,
                                            std::string_view template_name,
                                            bool parse_special_in_content) const {
  Rendered r = render(*this, messages, add_generation_prompt, template_name);
  // The template carries the BOS itself, so no post-processor specials are added.
  if (parse_special_in_content) return encode(r.text, false);
  return encode_protected(r.text, r.content);
}

}  // namespace maskkv::tok
