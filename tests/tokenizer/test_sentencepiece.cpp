// SentencePiece models (fixtures made by tools/fixtures/make_sentencepiece_fixture.sh with spm_train).
// Id-for-id parity with spm_encode is checked by spm_parity.sh (ctest tokenizer_spm_parity).
#include "tok_test_util.h"

using namespace toktest;
using maskkv::Code;
using Ids = std::vector<int32_t>;

namespace {
const std::string kDir = std::string(MASKKV_TOK_FIXTURES) + "/spm";
}

TEST(SentencePiece, UnigramAndBpeRoundTrip) {
  for (const char* name : {"unigram.model", "bpe.model"}) {
    auto t = maskkv::tok::load_tokenizer(kDir + "/" + name);
    EXPECT_STREQ(t->kind(), "sentencepiece");
    EXPECT_GT(t->vocab_size(), 100);
    const std::string s = "the diffusion model has a cache of attention";
    Ids ids = t->encode(s, false);
    EXPECT_FALSE(ids.empty());
    EXPECT_EQ(t->decode(ids, false), s) << name;
    for (int32_t id : ids) EXPECT_LT(id, t->vocab_size());
  }
}

TEST(SentencePiece, BosEosAndSpecials) {
  auto t = maskkv::tok::load_tokenizer(kDir + "/bpe.model");
  EXPECT_EQ(t->bos_id(), 1);  // spm_train defaults: unk 0, bos 1, eos 2
  EXPECT_EQ(t->eos_id(), 2);
  EXPECT_EQ(t->bos_token(), "<s>");
  Ids plain = t->encode("the model", false);
  Ids with = t->encode("the model", true);
  ASSERT_EQ(with.size(), plain.size() + 1);
  EXPECT_EQ(with[0], 1);
  EXPECT_TRUE(t->is_special(1));
  EXPECT_FALSE(t->is_special(plain[0]));
  EXPECT_EQ(t->decode(with, true), "the model");
  EXPECT_EQ(t->decode(with, false), "<s>the model");
  Ids eos = with;
  eos.push_back(2);
  eos.insert(eos.end(), plain.begin(), plain.end());
  EXPECT_EQ(t->decode(eos, false), "<s>the model</s> the model");
  EXPECT_EQ(t->token_to_id("<s>"), 1);
  EXPECT_EQ(t->token_to_id("no such piece"), -1);
}

TEST(SentencePiece, ByteFallbackCoversUnseenCharacters) {
  auto t = maskkv::tok::load_tokenizer(kDir + "/bpe.model");
  const std::string s = "Привет 😀";
  Ids ids = t->encode(s, false);
  EXPECT_EQ(t->decode(ids, false), s);
}

TEST(SentencePiece, Errors) {
  auto t = maskkv::tok::load_tokenizer(kDir + "/unigram.model");
  EXPECT_TOK_ERROR(t->encode("bad \xC3", false), Code::invalid_argument, "invalid UTF-8");
  EXPECT_TOK_ERROR(t->decode(Ids{t->vocab_size()}, false), Code::out_of_range, "outside");
  EXPECT_TOK_ERROR(t->decode(Ids{-5}, false), Code::out_of_range, "-5");
}

TEST(SentencePiece, DirectoryWithConfig) {
  TempDir d;
  std::ifstream in(kDir + "/bpe.model", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  d.write("tokenizer.model", bytes);
  d.write("tokenizer_config.json", R"({"add_bos_token": false, "add_eos_token": true,
                                       "bos_token": "<s>", "eos_token": "</s>"})");
  auto t = maskkv::tok::load_tokenizer(d.path);
  Ids ids = t->encode("model", true);
  ASSERT_FALSE(ids.empty());
  EXPECT_NE(ids.front(), 1);
  EXPECT_EQ(ids.back(), 2);
}
