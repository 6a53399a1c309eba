#include <gtest/gtest.h>

#include "tokenizer/unicode.h"

using namespace maskkv::tok::unicode;

TEST(TokUnicode, FindsInvalidUtf8) {
  EXPECT_EQ(find_invalid_utf8("hello"), std::string_view::npos);
  EXPECT_EQ(find_invalid_utf8("h\xC3\xA9llo"), std::string_view::npos);
  EXPECT_EQ(find_invalid_utf8("ab\xC3"), 2u);            // truncated
  EXPECT_EQ(find_invalid_utf8("ab\xC0\x80"), 2u);        // overlong
  EXPECT_EQ(find_invalid_utf8("\xED\xA0\x80"), 0u);      // surrogate
  EXPECT_EQ(find_invalid_utf8("\xF4\x90\x80\x80"), 0u);  // past U+10FFFF
  EXPECT_EQ(find_invalid_utf8("0123456789\xFF"), 10u);
  EXPECT_EQ(find_invalid_utf8("\xF0\x9F\x98\x80 ok"), std::string_view::npos);
}

TEST(TokUnicode, LossyReplacesMaximalSubparts) {
  EXPECT_EQ(to_valid_utf8_lossy("a\xF0\x9F\x98"), "a\xEF\xBF\xBD");
  EXPECT_EQ(to_valid_utf8_lossy("\xFF\xFE"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(to_valid_utf8_lossy("\xE0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(to_valid_utf8_lossy("ok"), "ok");
}

TEST(TokUnicode, Nfc) {
  EXPECT_EQ(nfc("e\xCC\x81"), "\xC3\xA9");                         // e + acute -> é
  EXPECT_EQ(nfc("\xC3\xA9"), "\xC3\xA9");
  EXPECT_EQ(nfc("\xE1\x84\x80\xE1\x85\xA1"), "\xEA\xB0\x80");     // Hangul L+V -> 가
  EXPECT_EQ(nfc("a\xCC\xA3\xCC\x87"), "\xE1\xBA\xA1\xCC\x87");     // a + dot below + dot above
  EXPECT_EQ(nfc("a\xCC\x87\xCC\xA3"), "\xE1\xBA\xA1\xCC\x87");     // reordered first
  EXPECT_EQ(nfc("\xE2\x84\xAB"), "\xC3\x85");                      // Angstrom sign -> Å
  EXPECT_EQ(nfd("\xC3\xA9"), "e\xCC\x81");
  EXPECT_EQ(nfc("plain ascii"), "plain ascii");
}

TEST(TokUnicode, Classes) {
  EXPECT_TRUE(is_white_space(0x85));
  EXPECT_TRUE(is_white_space(0x3000));
  EXPECT_FALSE(is_white_space(0x200B));
  EXPECT_TRUE(is_word_char('a'));
  EXPECT_TRUE(is_word_char(0x4E2D));
  EXPECT_TRUE(is_word_char(0x301));
  EXPECT_FALSE(is_word_char('-'));
}
