// The tokenizer part of the C ABI, through the shared library and maskkv.h only.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "maskkv.h"

namespace {
const std::string kSpm = std::string(MASKKV_TOK_FIXTURES) + "/spm/bpe.model";
}

TEST(TokenizerAbi, LoadTokenizeDetokenize) {
  maskkv_tokenizer* tok = nullptr;
  ASSERT_EQ(maskkv_tokenizer_load(kSpm.c_str(), &tok), MASKKV_OK) << maskkv_last_error();
  const std::string text = "the model has a cache";
  size_t n = 0;
  // Size query: NULL buffer -> BUFFER_TOO_SMALL with the size needed.
  EXPECT_EQ(maskkv_tokenize(tok, text.data(), text.size(), 1, nullptr, 0, &n),
            MASKKV_ERR_BUFFER_TOO_SMALL);
  ASSERT_GT(n, 1u);
  std::vector<int32_t> ids(n);
  size_t n2 = 0;
  ASSERT_EQ(maskkv_tokenize(tok, text.data(), text.size(), 1, ids.data(), ids.size(), &n2), MASKKV_OK);
  EXPECT_EQ(n2, n);
  EXPECT_EQ(ids[0], 1);  // BOS
  size_t len = 0;
  EXPECT_EQ(maskkv_detokenize(tok, ids.data(), ids.size(), 1, nullptr, 0, &len),
            MASKKV_ERR_BUFFER_TOO_SMALL);
  std::string out(len, '\0');
  ASSERT_EQ(maskkv_detokenize(tok, ids.data(), ids.size(), 1, out.data(), out.size(), &len), MASKKV_OK);
  EXPECT_EQ(out, text);
  // Empty text is fine.
  EXPECT_EQ(maskkv_tokenize(tok, "", 0, 0, nullptr, 0, &n), MASKKV_OK);
  EXPECT_EQ(n, 0u);
  maskkv_tokenizer_free(tok);
}

TEST(TokenizerAbi, Errors) {
  maskkv_tokenizer* tok = nullptr;
  EXPECT_EQ(maskkv_tokenizer_load("/nonexistent/dir", &tok), MASKKV_ERR_IO);
  EXPECT_EQ(tok, nullptr);
  EXPECT_NE(std::string(maskkv_last_error()).find("/nonexistent/dir"), std::string::npos);
  EXPECT_EQ(maskkv_tokenizer_load(nullptr, &tok), MASKKV_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(maskkv_tokenizer_load(kSpm.c_str(), nullptr), MASKKV_ERR_INVALID_ARGUMENT);
  ASSERT_EQ(maskkv_tokenizer_load(kSpm.c_str(), &tok), MASKKV_OK);
  size_t n = 0;
  int32_t ids[8];
  EXPECT_EQ(maskkv_tokenize(tok, "bad\xFF", 4, 0, ids, 8, &n), MASKKV_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(maskkv_last_error()).find("UTF-8"), std::string::npos);
  EXPECT_EQ(maskkv_tokenize(nullptr, "x", 1, 0, ids, 8, &n), MASKKV_ERR_INVALID_ARGUMENT);
  int32_t bad[] = {1, 999999};
  char buf[64];
  EXPECT_EQ(maskkv_detokenize(tok, bad, 2, 0, buf, sizeof buf, &n), MASKKV_ERR_OUT_OF_RANGE);
  EXPECT_NE(std::string(maskkv_last_error()).find("999999"), std::string::npos);
  maskkv_chat_message m = {"user", "Hi"};
  size_t len = 0;
  // A bare .model has no tokenizer_config.json: no default template, explicit ones work.
  EXPECT_EQ(maskkv_apply_chat_template(tok, nullptr, &m, 1, 1, nullptr, 0, &len), MASKKV_ERR_NOT_FOUND);
  EXPECT_EQ(maskkv_apply_chat_template(tok, "nope", &m, 1, 1, nullptr, 0, &len),
            MASKKV_ERR_INVALID_ARGUMENT);
  maskkv_tokenizer_free(tok);
  maskkv_tokenizer_free(nullptr);
}

TEST(TokenizerAbi, ChatTemplate) {
  maskkv_tokenizer* tok = nullptr;
  ASSERT_EQ(maskkv_tokenizer_load(kSpm.c_str(), &tok), MASKKV_OK);
  maskkv_chat_message msgs[] = {{"system", "Be brief."}, {"user", "Hi"}};
  size_t len = 0;
  ASSERT_EQ(maskkv_apply_chat_template(tok, "chatml", msgs, 2, 1, nullptr, 0, &len),
            MASKKV_ERR_BUFFER_TOO_SMALL);
  std::string s(len, '\0');
  ASSERT_EQ(maskkv_apply_chat_template(tok, "chatml", msgs, 2, 1, s.data(), s.size(), &len), MASKKV_OK);
  EXPECT_EQ(s, "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
               "<|im_start|>assistant\n");
  maskkv_tokenizer_free(tok);
}
