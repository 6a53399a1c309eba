// Helpers shared by the tokenizer tests: tiny tokenizer.json files built in code (no blobs),
// temporary directories, and error-code assertions.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "core/error.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

namespace toktest {

using json = nlohmann::json;

// The GPT-2 byte-level spelling of a byte.
inline std::string bl(unsigned char b) {
  bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
  uint32_t cp = b;
  if (!printable) {
    int n = 0;
    for (int k = 0; k < b; ++k) {
      bool p = (k >= '!' && k <= '~') || (k >= 0xA1 && k <= 0xAC) || (k >= 0xAE);
      if (!p) ++n;
    }
    cp = 256 + n;
  }
  std::string s;
  maskkv::tok::unicode::append_utf8(s, cp);
  return s;
}
inline std::string bl(const std::string& bytes) {
  std::string s;
  for (unsigned char c : bytes) s += bl(c);
  return s;
}

// A byte-level BPE: ids 0..255 are the bytes; then "he" 256, "ll" 257, "hell" 258, "hello" 259,
// "Ġw" 260, "or" 261; merges in that order; ByteLevel pre-tokenizer (GPT-2 regex) and decoder;
// special <|bos|> 300 and <|eos|> 301.
inline json tiny_byte_level() {
  json vocab = json::object();
  for (int b = 0; b < 256; ++b) vocab[bl(static_cast<unsigned char>(b))] = b;
  vocab["he"] = 256;
  vocab["ll"] = 257;
  vocab["hell"] = 258;
  vocab["hello"] = 259;
  vocab[bl(' ') + "w"] = 260;
  vocab["or"] = 261;
  json merges = json::array({"h e", "l l", "he ll", "hell o", bl(' ') + " w", "o r"});
  json j;
  j["version"] = "1.0";
  j["truncation"] = nullptr;
  j["padding"] = nullptr;
  j["normalizer"] = nullptr;
  j["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true},
                        {"use_regex", true}};
  j["post_processor"] = nullptr;
  j["decoder"] = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true},
                  {"use_regex", true}};
  j["model"] = {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr},
                {"continuing_subword_prefix", nullptr}, {"end_of_word_suffix", nullptr},
                {"fuse_unk", false}, {"byte_fallback", false}, {"ignore_merges", false},
                {"vocab", vocab}, {"merges", merges}};
  j["added_tokens"] = json::array(
      {{{"id", 300}, {"content", "<|bos|>"}, {"single_word", false}, {"lstrip", false},
        {"rstrip", false}, {"normalized", false}, {"special", true}},
       {{"id", 301}, {"content", "<|eos|>"}, {"single_word", false}, {"lstrip", false},
        {"rstrip", false}, {"normalized", false}, {"special", true}}});
  return j;
}

// A Llama-2 style (SentencePiece converted) BPE: Prepend/Replace normalizer, no pre-tokenizer,
// byte fallback, and the Replace/ByteFallback/Fuse/Strip decoder; BOS by TemplateProcessing.
inline json tiny_llama2() {
  json vocab = json::object();
  vocab["<unk>"] = 0;
  vocab["<s>"] = 1;
  vocab["</s>"] = 2;
  for (int b = 0; b < 256; ++b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "<0x%02X>", b);
    vocab[buf] = 3 + b;
  }
  vocab["\xE2\x96\x81"] = 259;  // ▁
  vocab["a"] = 260;
  vocab["b"] = 261;
  vocab["\xE2\x96\x81" "a"] = 262;
  vocab["ab"] = 263;
  vocab["\xE2\x96\x81" "ab"] = 264;
  json j;
  j["normalizer"] = {{"type", "Sequence"},
                     {"normalizers", json::array({{{"type", "Prepend"}, {"prepend", "\xE2\x96\x81"}},
                                                  {{"type", "Replace"},
                                                   {"pattern", {{"String", " "}}},
                                                   {"content", "\xE2\x96\x81"}}})}};
  j["pre_tokenizer"] = nullptr;
  j["post_processor"] = {
      {"type", "TemplateProcessing"},
      {"single", json::array({{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
                              {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}})},
      {"pair", json::array()},
      {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {1}}, {"tokens", {"<s>"}}}}}}};
  j["decoder"] = {
      {"type", "Sequence"},
      {"decoders", json::array({{{"type", "Replace"}, {"pattern", {{"String", "\xE2\x96\x81"}}}, {"content", " "}},
                                {{"type", "ByteFallback"}},
                                {{"type", "Fuse"}},
                                {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}})}};
  j["model"] = {{"type", "BPE"}, {"unk_token", "<unk>"}, {"fuse_unk", true}, {"byte_fallback", true},
                {"vocab", vocab},
                {"merges", json::array({"\xE2\x96\x81 a", "\xE2\x96\x81" "a b", "a b"})}};
  j["added_tokens"] = json::array();
  for (int i = 0; i < 3; ++i)
    j["added_tokens"].push_back({{"id", i}, {"content", i == 0 ? "<unk>" : i == 1 ? "<s>" : "</s>"},
                                 {"single_word", false}, {"lstrip", false}, {"rstrip", false},
                                 {"normalized", false}, {"special", true}});
  return j;
}

inline std::shared_ptr<maskkv::tok::Tokenizer> load_json(const json& j) {
  return maskkv::tok::load_hf_tokenizer_json(j.dump(), "test tokenizer.json");
}

// A fresh temporary directory, removed by the destructor.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/maskkv-toktest-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
  std::string write(const std::string& name, const std::string& content) const {
    std::string p = path + "/" + name;
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
};

#define EXPECT_TOK_ERROR(stmt, code_, substr)                                         \
  do {                                                                                \
    try {                                                                             \
      stmt;                                                                           \
      ADD_FAILURE() << "expected an error from " #stmt;                               \
    } catch (const maskkv::Error& e) {                                                \
      EXPECT_EQ(e.code(), code_) << e.what();                                         \
      EXPECT_NE(std::string(e.what()).find(substr), std::string::npos) << e.what();   \
    }                                                                                 \
  } while (0)

}  // namespace toktest
