// tokenizer.json behaviour on tiny tokenizers built in code. (Exactness against the reference
// library on real files is the parity test's job: tools/tokenizer_parity/parity.js.)
#include <algorithm>
#include <atomic>
#include <thread>

#include "tok_test_util.h"

using namespace toktest;
using maskkv::Code;
using Ids = std::vector<int32_t>;

TEST(HfTokenizer, ByteLevelBpeMergesByRank) {
  auto t = load_json(tiny_byte_level());
  EXPECT_EQ(t->encode("hello world", false), (Ids{259, 260, 261, 'l', 'd'}));
  EXPECT_EQ(t->decode(Ids{259, 260, 261, 'l', 'd'}, false), "hello world");
  EXPECT_EQ(t->encode("", false), Ids{});
  EXPECT_EQ(t->vocab_size(), 302);
  EXPECT_STREQ(t->kind(), "hf-bpe");
}

TEST(HfTokenizer, ByteLevelHandlesEveryByteOfUtf8) {
  auto t = load_json(tiny_byte_level());
  std::string s = "caf\xC3\xA9 \xF0\x9F\x98\x80\t\r\n  x";
  Ids ids = t->encode(s, false);
  EXPECT_EQ(t->decode(ids, false), s);
  // é is two byte tokens.
  Ids e = t->encode("\xC3\xA9", false);
  EXPECT_EQ(e, (Ids{0xC3, 0xA9}));
}

TEST(HfTokenizer, IgnoreMergesTakesWholeWords) {
  json j = tiny_byte_level();
  j["model"]["merges"] = json::array({"h e", "l l", "he ll"});  // "hell o" removed
  EXPECT_EQ(load_json(j)->encode("hello", false), (Ids{258, 'o'}));
  j["model"]["ignore_merges"] = true;
  EXPECT_EQ(load_json(j)->encode("hello", false), (Ids{259}));
}

TEST(HfTokenizer, LongWordsUseTheHeapMerge) {
  auto t = load_json(tiny_byte_level());
  std::string s;
  for (int i = 0; i < 100; ++i) s += "hello";
  Ids ids = t->encode(s, false);  // one pre-tokenized word of 500 bytes
  EXPECT_EQ(ids, Ids(100, 259));
  EXPECT_EQ(t->decode(ids, false), s);
}

TEST(HfTokenizer, SpecialTokensAreMatchedAndSkippable) {
  auto t = load_json(tiny_byte_level());
  Ids ids = t->encode("<|bos|>hello<|eos|>", false);
  EXPECT_EQ(ids, (Ids{300, 259, 301}));
  EXPECT_EQ(t->decode(ids, false), "<|bos|>hello<|eos|>");
  EXPECT_EQ(t->decode(ids, true), "hello");
  EXPECT_TRUE(t->is_special(300));
  EXPECT_FALSE(t->is_special(259));
  EXPECT_EQ(t->token_to_id("<|eos|>"), 301);
  EXPECT_EQ(t->token_to_id("hello"), 259);
  EXPECT_EQ(t->token_to_id(bl(' ') + "w"), 260);  // vocabulary spelling
  EXPECT_EQ(t->token_to_id("nope"), -1);
  EXPECT_EQ(t->id_to_token(260), bl(' ') + "w");
  // A look-alike is ordinary text.
  Ids look = t->encode("<|bos|", false);
  EXPECT_EQ(t->decode(look, false), "<|bos|");
  EXPECT_EQ(std::count(look.begin(), look.end(), 300), 0);
}

TEST(HfTokenizer, AddedTokenFlags) {
  json j = tiny_byte_level();
  auto add = [&](int id, const char* content, bool special, bool lstrip, bool rstrip, bool single,
                 bool normalized) {
    j["added_tokens"].push_back({{"id", id}, {"content", content}, {"special", special},
                                 {"lstrip", lstrip}, {"rstrip", rstrip}, {"single_word", single},
                                 {"normalized", normalized}});
  };
  add(302, "<L>", true, true, false, false, false);
  add(303, "<R>", true, false, true, false, false);
  add(304, "<W>", false, false, false, true, false);
  auto t = load_json(j);
  // lstrip swallows the spaces before, rstrip those after.
  EXPECT_EQ(t->encode("he  <L>he", false), (Ids{256, 302, 256}));
  EXPECT_EQ(t->encode("he<R>  he", false), (Ids{256, 303, 256}));
  // single_word: only between non-word characters.
  EXPECT_EQ(t->encode("he <W> he", false), (Ids{256, 32, 304, 32, 256}));
  Ids inside = t->encode("he<W>he", false);
  EXPECT_EQ(std::count(inside.begin(), inside.end(), 304), 0);
  EXPECT_EQ(t->decode(inside, false), "he<W>he");
}

TEST(HfTokenizer, NfcNormalizerAndNormalizedAddedTokens) {
  json j = tiny_byte_level();
  j["normalizer"] = {{"type", "NFC"}};
  j["added_tokens"].push_back({{"id", 302}, {"content", "\xC3\xA9t\xC3\xA9"}, {"special", false},
                               {"normalized", true}});
  auto t = load_json(j);
  // Decomposed é is composed first, so it matches the added token.
  EXPECT_EQ(t->encode("e\xCC\x81te\xCC\x81", false), (Ids{302}));
  EXPECT_EQ(t->encode("e\xCC\x81", false), (Ids{0xC3, 0xA9}));
}

TEST(HfTokenizer, SplitBehaviours) {
  json j = tiny_byte_level();
  j["pre_tokenizer"] = {
      {"type", "Sequence"},
      {"pretokenizers",
       json::array({{{"type", "Split"}, {"pattern", {{"String", "-"}}}, {"behavior", "Removed"}},
                    {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}})}};
  auto t = load_json(j);
  EXPECT_EQ(t->encode("he-ll-o", false), (Ids{256, 257, 'o'}));
  j["pre_tokenizer"]["pretokenizers"][0]["behavior"] = "MergedWithNext";
  EXPECT_EQ(load_json(j)->encode("he-he", false), (Ids{256, '-', 256}));
}

TEST(HfTokenizer, ByteLevelAddPrefixSpace) {
  json j = tiny_byte_level();
  j["pre_tokenizer"]["add_prefix_space"] = true;
  auto t = load_json(j);
  EXPECT_EQ(t->encode("world", false), (Ids{260, 261, 'l', 'd'}));
  EXPECT_EQ(t->encode(" world", false), (Ids{260, 261, 'l', 'd'}));
}

TEST(HfTokenizer, Llama2StyleByteFallbackAndTemplate) {
  auto t = load_json(tiny_llama2());
  EXPECT_EQ(t->encode("ab ab", false), (Ids{264, 264}));
  EXPECT_EQ(t->encode("ab ab", true), (Ids{1, 264, 264}));
  EXPECT_EQ(t->decode(Ids{1, 264, 264}, true), "ab ab");
  EXPECT_EQ(t->decode(Ids{1, 264, 264}, false), "<s> ab ab");
  Ids e = t->encode("\xC3\xA9", false);  // é: not in the vocabulary -> byte tokens
  EXPECT_EQ(e, (Ids{259, 3 + 0xC3, 3 + 0xA9}));
  EXPECT_EQ(t->decode(e, false), "\xC3\xA9");
  // A lone continuation byte decodes to U+FFFD.
  EXPECT_EQ(t->decode(Ids{3 + 0xA9}, false), "\xEF\xBF\xBD");
}

TEST(HfTokenizer, UnknownCharactersFuseIntoOneUnk) {
  json j = tiny_llama2();
  j["model"]["byte_fallback"] = false;
  auto t = load_json(j);
  EXPECT_EQ(t->encode("a\xC3\xA9\xC3\xA9", false), (Ids{262, 0}));
  j["model"]["fuse_unk"] = false;
  EXPECT_EQ(load_json(j)->encode("a\xC3\xA9\xC3\xA9", false), (Ids{262, 0, 0}));
}

TEST(HfTokenizer, InvalidUtf8IsAnError) {
  auto t = load_json(tiny_byte_level());
  EXPECT_TOK_ERROR(t->encode("ok\xFF", false), Code::invalid_argument, "byte 2");
  EXPECT_TOK_ERROR(t->encode("\xC3", false), Code::invalid_argument, "invalid UTF-8");
  EXPECT_TOK_ERROR(t->encode("\xED\xA0\x80", false), Code::invalid_argument, "invalid UTF-8");
}

TEST(HfTokenizer, IdsOutOfRangeOnDecode) {
  auto t = load_json(tiny_byte_level());
  EXPECT_TOK_ERROR(t->decode(Ids{1, 302}, false), Code::out_of_range, "302");
  EXPECT_TOK_ERROR(t->decode(Ids{-1}, false), Code::out_of_range, "-1");
  EXPECT_TOK_ERROR(t->id_to_token(5000), Code::out_of_range, "5000");
  EXPECT_EQ(t->decode(Ids{}, false), "");
  // Ids inside the range that name no token (holes) decode to nothing.
  EXPECT_EQ(t->decode(Ids{280, 'a'}, false), "a");
}

TEST(HfTokenizer, ConcurrentEncodeIsConsistent) {
  auto t = load_json(tiny_byte_level());
  std::vector<std::string> texts;
  for (int i = 0; i < 200; ++i)
    texts.push_back("hello world " + std::to_string(i) + std::string(i % 7, ' ') + "hellohello");
  std::vector<Ids> want;
  for (const auto& s : texts) want.push_back(t->encode(s, false));
  std::vector<std::thread> th;
  std::atomic<int> bad{0};
  for (int k = 0; k < 4; ++k)
    th.emplace_back([&] {
      for (int rep = 0; rep < 20; ++rep)
        for (size_t i = 0; i < texts.size(); ++i)
          if (t->encode(texts[i], false) != want[i]) ++bad;
    });
  for (auto& x : th) x.join();
  EXPECT_EQ(bad.load(), 0);
}
