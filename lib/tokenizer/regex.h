// A compiled PCRE2 pattern (UTF + Unicode properties, JIT when available), shareable across
// threads: the per-call match state lives in thread-local storage.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct pcre2_real_code_8;

namespace maskkv::tok {

class Regex {
 public:
  // Throws Error(format) naming `what` when the pattern does not compile.
  Regex(const std::string& pattern, const std::string& what);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Calls f(start, end) for each successive non-overlapping match in s (byte offsets; s must
  // be valid UTF-8). Empty matches are reported and the search moves on by one character.
  template <class F>
  void for_each_match(std::string_view s, F&& f) const {
    size_t pos = 0;
    std::pair<size_t, size_t> m;
    while (pos <= s.size() && find(s, pos, m)) {
      f(m.first, m.second);
      if (m.second > m.first) {
        pos = m.second;
      } else {
        if (m.second >= s.size()) break;
        pos = m.second + 1;
        while (pos < s.size() && (static_cast<unsigned char>(s[pos]) & 0xC0) == 0x80) ++pos;
      }
    }
  }
  // First match at or after `start`; false when none.
  bool find(std::string_view s, size_t start, std::pair<size_t, size_t>& match) const;

  const std::string& pattern() const { return pattern_; }

 private:
  std::string pattern_;
  pcre2_real_code_8* code_ = nullptr;
  bool jit_ = false;
};

// Rewrites a pattern written for Oniguruma (what the Hugging Face library uses) so that PCRE2
// gives the same matches: \s and \S become explicit White_Space classes (PCRE2's \s lacks
// U+0085), and \h is treated as Oniguruma does.
std::string onig_to_pcre2(std::string_view pattern);

// Throws Error(unsupported) naming `what` when a lookahead or lookbehind in a PCRE2 pattern may
// read an unbounded number of characters (see regex.cpp). Regex's constructor calls it.
void check_lookarounds(std::string_view pattern, const std::string& what);

// Escapes a literal string for use in a pattern.
std::string regex_escape(std::string_view literal);

}  // namespace maskkv::tok
