// UTF-8 and Unicode helpers for the tokenizers: validation, decoding, canonical normalization
// (NFC, NFD) and the few character classes the Hugging Face pipeline needs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace maskkv::tok::unicode {

// Offset of the first byte that does not start a valid UTF-8 sequence (overlong forms,
// surrogates and code points past U+10FFFF are invalid), or npos when all of s is valid.
size_t find_invalid_utf8(std::string_view s);

// Decodes the code point at s[i] (s must be valid UTF-8) and advances i.
inline uint32_t next_cp(std::string_view s, size_t& i) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data()) + i;
  uint32_t c = p[0];
  if (c < 0x80) { i += 1; return c; }
  if (c < 0xE0) { i += 2; return ((c & 0x1F) << 6) | (p[1] & 0x3F); }
  if (c < 0xF0) { i += 3; return ((c & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F); }
  i += 4;
  return ((c & 0x07) << 18) | ((p[1] & 0x3F) << 12) | ((p[2] & 0x3F) << 6) | (p[3] & 0x3F);
}
// Decodes the code point that ends at s[i) (s valid UTF-8), moving i back to its start.
inline uint32_t prev_cp(std::string_view s, size_t& i) {
  size_t j = i - 1;
  while (j > 0 && (static_cast<unsigned char>(s[j]) & 0xC0) == 0x80) --j;
  size_t k = j;
  uint32_t c = next_cp(s, k);
  i = j;
  return c;
}
void append_utf8(std::string& out, uint32_t cp);
inline size_t utf8_len(unsigned char lead) {
  return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}

// Unicode White_Space (what Rust's char::is_whitespace and Oniguruma's \s accept).
inline bool is_white_space(uint32_t c) {
  if (c < 0x80) return c == 0x20 || (c >= 0x09 && c <= 0x0D);
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}
// A "word" character as regex \w sees it (letters, marks, numbers, connector punctuation).
bool is_word_char(uint32_t c);

// Canonical normalization; the input must be valid UTF-8. Fast when already normalized.
std::string nfc(std::string_view s);
std::string nfd(std::string_view s);
// True when nfc(s) == s (cheap quick check; may say false for some normalized strings).
bool is_nfc_quick(std::string_view s);

// Replaces each maximal invalid subsequence with U+FFFD (the WHATWG / Rust from_utf8_lossy rule).
std::string to_valid_utf8_lossy(std::string_view bytes);

const char* unicode_version();

}  // namespace maskkv::tok::unicode
