// Chat templates against strings written out from the model cards (LLaDA-8B-Instruct,
// Dream-v0-Instruct-7B, Meta-Llama-3-8B-Instruct).
#include "tok_test_util.h"

using namespace toktest;
using maskkv::Code;
using maskkv::tok::ChatMessage;
using maskkv::tok::detect_chat_template;

namespace {
std::shared_ptr<maskkv::tok::Tokenizer> tok() { return load_json(tiny_byte_level()); }
}  // namespace

TEST(ChatTemplate, LladaFromItsModelCard) {
  // LLaDA's README: m = [{"role": "user", "content": prompt}], add_generation_prompt=True.
  std::vector<ChatMessage> m = {{"user", "What is 2+2?"}};
  EXPECT_EQ(tok()->apply_chat_template(m, true, "llada"),
            "<|startoftext|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  EXPECT_EQ(tok()->apply_chat_template(m, false, "llada"),
            "<|startoftext|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>");
}

TEST(ChatTemplate, Llama3MultiTurnTrimsContent) {
  std::vector<ChatMessage> m = {{"system", "You are a pirate chatbot."},
                                {"user", "  Who are you?\n"},
                                {"assistant", "Arr, a pirate!"},
                                {"user", "Why?"}};
  EXPECT_EQ(tok()->apply_chat_template(m, true, "llama3"),
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a pirate chatbot.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nWho are you?<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\nArr, a pirate!<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nWhy?<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST(ChatTemplate, ChatmlAddsDreamsDefaultSystemMessage) {
  std::vector<ChatMessage> m = {{"user", "Hi\n"}};
  EXPECT_EQ(tok()->apply_chat_template(m, true, "chatml"),
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
            "<|im_start|>user\nHi\n<|im_end|>\n<|im_start|>assistant\n");
  std::vector<ChatMessage> s = {{"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello."}};
  EXPECT_EQ(tok()->apply_chat_template(s, false, "chatml"),
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
            "<|im_start|>assistant\nHello.<|im_end|>\n");
}

TEST(ChatTemplate, Errors) {
  std::vector<ChatMessage> m = {{"user", "x"}};
  EXPECT_TOK_ERROR(tok()->apply_chat_template(m, true, "vicuna"), Code::invalid_argument, "vicuna");
  EXPECT_TOK_ERROR(tok()->apply_chat_template(m, true, ""), Code::not_found, "no chat template");
  std::vector<ChatMessage> bad = {{"wizard", "x"}};
  EXPECT_TOK_ERROR(tok()->apply_chat_template(bad, true, "chatml"), Code::invalid_argument, "wizard");
  std::vector<ChatMessage> utf = {{"user", "\xFF"}};
  EXPECT_TOK_ERROR(tok()->apply_chat_template(utf, true, "chatml"), Code::invalid_argument, "UTF-8");
}

TEST(ChatTemplate, DetectionFromTokenizerConfig) {
  // The Jinja templates as the model directories ship them (abridged where long).
  const char* llama3 =
      "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
      "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim "
      "+ '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}"
      "{{ content }}{% endfor %}{% if add_generation_prompt %}{{ "
      "'<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";
  EXPECT_EQ(detect_chat_template(llama3, "<|begin_of_text|>"), "llama3");
  EXPECT_EQ(detect_chat_template(llama3, "<|startoftext|>"), "llada");
  EXPECT_EQ(detect_chat_template("{% for message in messages %}{{'<|im_start|>' + message['role'] "
                                 "+ '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}",
                                 ""),
            "chatml");
  EXPECT_EQ(detect_chat_template("{{ messages }}", ""), "");
  EXPECT_EQ(detect_chat_template("", ""), "");
}

TEST(ChatTemplate, DefaultComesFromTheDirectory) {
  TempDir d;
  d.write("tokenizer.json", tiny_byte_level().dump());
  d.write("tokenizer_config.json",
          R"({"bos_token": "<|startoftext|>", "chat_template": "{{ '<|start_header_id|>' }}"})");
  auto t = maskkv::tok::load_tokenizer(d.path);
  EXPECT_EQ(t->chat_template_name(), "llada");
  std::vector<ChatMessage> m = {{"user", "Hi"}};
  EXPECT_EQ(t->apply_chat_template(m, true, ""), t->apply_chat_template(m, true, "llada"));
  // An explicit name overrides the directory's.
  EXPECT_NE(t->apply_chat_template(m, true, "chatml"), t->apply_chat_template(m, true, ""));
}
