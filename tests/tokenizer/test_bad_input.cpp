// Bad input: malformed or truncated tokenizer.json, unsupported components, missing files.
#include "tok_test_util.h"

using namespace toktest;
using maskkv::Code;
using maskkv::tok::load_tokenizer;

TEST(TokBadInput, MalformedJson) {
  EXPECT_TOK_ERROR(maskkv::tok::load_hf_tokenizer_json("{\"model\": ", "x.json"), Code::format,
                   "malformed JSON");
  EXPECT_TOK_ERROR(maskkv::tok::load_hf_tokenizer_json("[1, 2]", "x.json"), Code::format,
                   "expected a JSON object");
}

TEST(TokBadInput, TruncatedFile) {
  TempDir d;
  std::string full = tiny_byte_level().dump();
  std::string p = d.write("tokenizer.json", full.substr(0, full.size() / 2));
  EXPECT_TOK_ERROR(load_tokenizer(p), Code::format, p);
  EXPECT_TOK_ERROR(load_tokenizer(d.path), Code::format, "truncated");
}

TEST(TokBadInput, UnsupportedComponentsAreNamed) {
  json j = tiny_byte_level();
  j["model"]["type"] = "WordPiece";
  EXPECT_TOK_ERROR(load_json(j), Code::unsupported, "unsupported: model type 'WordPiece'");
  j = tiny_byte_level();
  j["pre_tokenizer"] = {{"type", "BertPreTokenizer"}};
  EXPECT_TOK_ERROR(load_json(j), Code::unsupported, "unsupported: pre-tokenizer 'BertPreTokenizer'");
  j = tiny_byte_level();
  j["normalizer"] = {{"type", "Sequence"}, {"normalizers", json::array({{{"type", "NFKC"}}})}};
  EXPECT_TOK_ERROR(load_json(j), Code::unsupported, "unsupported: normalizer 'NFKC'");
  j = tiny_byte_level();
  j["decoder"] = {{"type", "WordPiece"}};
  EXPECT_TOK_ERROR(load_json(j), Code::unsupported, "unsupported: decoder 'WordPiece'");
  j = tiny_byte_level();
  j["post_processor"] = {{"type", "Mystery"}};
  EXPECT_TOK_ERROR(load_json(j), Code::unsupported, "unsupported: post-processor 'Mystery'");
  j = tiny_byte_level();
  j["model"]["dropout"] = 0.1;
  EXPECT_TOK_ERROR(load_json(j), Code::unsupported, "dropout");
}

TEST(TokBadInput, InconsistentModel) {
  json j = tiny_byte_level();
  j["model"]["merges"].push_back("x yz");
  EXPECT_TOK_ERROR(load_json(j), Code::format, "model.merges[6]");
  j = tiny_byte_level();
  j["model"]["merges"][0] = 42;
  EXPECT_TOK_ERROR(load_json(j), Code::format, "model.merges[0]");
  j = tiny_byte_level();
  j["model"]["vocab"]["he"] = "x";
  EXPECT_TOK_ERROR(load_json(j), Code::format, "model.vocab[\"he\"]");
  j = tiny_byte_level();
  j["model"].erase("vocab");
  EXPECT_TOK_ERROR(load_json(j), Code::format, "model.vocab");
  j = tiny_byte_level();
  j["model"]["unk_token"] = "<nope>";
  EXPECT_TOK_ERROR(load_json(j), Code::format, "model.unk_token");
  j = tiny_byte_level();
  j["added_tokens"][0].erase("content");
  EXPECT_TOK_ERROR(load_json(j), Code::format, "added_tokens[0].content");
  j = tiny_byte_level();
  j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}, {"behavior", "Isolated"}};
  EXPECT_TOK_ERROR(load_json(j), Code::format, "invalid regex");
  j = tiny_byte_level();
  j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "a"}}}, {"behavior", "Sideways"}};
  EXPECT_TOK_ERROR(load_json(j), Code::unsupported, "split behavior 'Sideways'");
}

TEST(TokBadInput, MissingFilesAndDirectories) {
  EXPECT_TOK_ERROR(load_tokenizer("/nonexistent/tokenizer.json"), Code::io, "/nonexistent/tokenizer.json");
  EXPECT_TOK_ERROR(load_tokenizer(""), Code::invalid_argument, "empty");
  TempDir d;
  EXPECT_TOK_ERROR(load_tokenizer(d.path), Code::not_found, "no tokenizer.json, tokenizer.model");
  std::string p = d.write("junk.model", "this is not a sentencepiece model");
  EXPECT_TOK_ERROR(load_tokenizer(p), Code::format, "not a valid SentencePiece model");
  d.write("tokenizer.json", tiny_byte_level().dump());
  d.write("tokenizer_config.json", "{ bad json");
  EXPECT_TOK_ERROR(load_tokenizer(d.path), Code::format, "tokenizer_config.json");
}

TEST(TokBadInput, DirectoryLoadReadsConfig) {
  TempDir d;
  d.write("tokenizer.json", tiny_byte_level().dump());
  d.write("tokenizer_config.json",
          R"({"bos_token": "<|bos|>", "eos_token": {"content": "<|eos|>"},
              "chat_template": "{% for m in messages %}<|im_start|>{{ m.role }}{% endfor %}"})");
  auto t = load_tokenizer(d.path);
  EXPECT_EQ(t->bos_id(), 300);
  EXPECT_EQ(t->eos_id(), 301);
  EXPECT_EQ(t->chat_template_name(), "chatml");
}
