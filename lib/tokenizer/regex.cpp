#define PCRE2_CODE_UNIT_WIDTH 8
#include "tokenizer/regex.h"

#include <pcre2.h>

#include <algorithm>
#include <vector>

#include "core/error.h"

namespace maskkv::tok {
namespace {

// Per-thread match state shared by all patterns: match data (we only read the whole-match
// offsets) and a JIT stack big enough for long runs of whitespace or letters.
struct ThreadState {
  pcre2_match_data* md = nullptr;
  pcre2_jit_stack* stack = nullptr;
  pcre2_match_context* ctx = nullptr;
  ThreadState() {
    md = pcre2_match_data_create(32, nullptr);
    ctx = pcre2_match_context_create(nullptr);
    stack = pcre2_jit_stack_create(64 * 1024, 8 * 1024 * 1024, nullptr);
    if (ctx && stack) pcre2_jit_stack_assign(ctx, nullptr, stack);
  }
  ~ThreadState() {
    if (md) pcre2_match_data_free(md);
    if (ctx) pcre2_match_context_free(ctx);
    if (stack) pcre2_jit_stack_free(stack);
  }
};

ThreadState& thread_state() {
  thread_local ThreadState state;
  return state;
}

// Unicode White_Space, as a class body.
const char kSpaceClass[] =
    "\\t\\n\\x{0B}\\f\\r\\x{20}\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}"
    "\\x{202F}\\x{205F}\\x{3000}";

bool starts(std::string_view p, size_t i, std::string_view prefix) {
  return p.compare(i, prefix.size(), prefix) == 0;
}

// Most repetitions a quantifier inside a lookaround may allow ({0,255}), as PCRE2 bounds a
// lookbehind's length: every match may rescan that many characters.
constexpr long kMaxLookaroundRepeat = 255;

// The upper bound of the quantifier that p[i] == '{' opens: -1 when unbounded ({n,} or {,}),
// 0 when it is not a quantifier (a literal brace).
long brace_upper_bound(std::string_view p, size_t i) {
  size_t j = i + 1;
  long lo = 0, hi = 0;
  bool digits = false;
  while (j < p.size() && p[j] >= '0' && p[j] <= '9') {
    lo = std::min(lo * 10 + (p[j++] - '0'), 1000000L);
    digits = true;
  }
  if (j < p.size() && p[j] == '}') return digits ? lo : 0;
  if (j >= p.size() || p[j] != ',') return 0;
  ++j;
  if (j < p.size() && p[j] == '}') return -1;
  bool hi_digits = false;
  while (j < p.size() && p[j] >= '0' && p[j] <= '9') {
    hi = std::min(hi * 10 + (p[j++] - '0'), 1000000L);
    hi_digits = true;
  }
  return j < p.size() && p[j] == '}' && hi_digits ? hi : 0;
}

}  // namespace

void check_lookarounds(std::string_view p, const std::string& what) {
  // A lookahead does not consume what it reads: one whose body repeats without bound, like
  // a(?=[^b]*$), rescans the rest of the text at every match, quadratic in the text, and no
  // single match is long enough for PCRE2's limits to stop it. Lookarounds must therefore
  // read a bounded number of characters: no *, +, {n,}, recursion or subroutine call inside,
  // and no quantifier above {,255}.
  auto refuse = [&](const char* why) {
    fail(Code::unsupported, what + ": unsupported: a lookaround " + why +
                                " (matching it costs time quadratic in the text; pattern: " +
                                std::string(p) + ")");
  };
  std::vector<bool> groups;  // per open group: is it a lookaround
  int looking = 0;
  bool in_class = false;
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\') {
      if (starts(p, i, "\\Q")) {  // \Q...\E quotes its body
        size_t e = p.find("\\E", i + 2);
        i = e == std::string_view::npos ? p.size() : e + 1;
        continue;
      }
      if (looking && !in_class && i + 1 < p.size() && (p[i + 1] == 'g' || p[i + 1] == 'k'))
        refuse("that calls a group or refers back to one");
      ++i;
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      continue;
    }
    if (c == '[') {
      in_class = true;
      if (starts(p, i + 1, "^]")) i += 2;
      else if (starts(p, i + 1, "]")) i += 1;
      continue;
    }
    if (c == '(') {
      bool look = false;
      if (starts(p, i, "(?=") || starts(p, i, "(?!") || starts(p, i, "(?<=") || starts(p, i, "(?<!")) {
        look = true;
      } else if (starts(p, i, "(*")) {
        size_t e = p.find_first_of(":)", i);
        std::string_view verb = p.substr(i + 2, e == std::string_view::npos ? 0 : e - i - 2);
        if (e != std::string_view::npos && p[e] == ':') {
          look = verb.find("pl") != std::string_view::npos || verb.find("nl") != std::string_view::npos ||
                 verb.find("look") != std::string_view::npos;
          groups.push_back(look);
          looking += look;
        }
        i = e == std::string_view::npos ? p.size() : e;
        continue;
      } else if (looking && starts(p, i, "(?") && i + 2 < p.size() &&
                 (p[i + 2] == 'R' || p[i + 2] == '&' || p[i + 2] == '+' || p[i + 2] == '-' ||
                  p[i + 2] == 'P' || (p[i + 2] >= '0' && p[i + 2] <= '9'))) {
        refuse("that calls a group or refers back to one");
      }
      groups.push_back(look);
      looking += look;
      if (starts(p, i, "(?")) ++i;  // the '?' opens the group, it is not a quantifier
      continue;
    }
    if (c == ')') {
      if (!groups.empty()) {
        looking -= groups.back();
        groups.pop_back();
      }
      continue;
    }
    if (looking && (c == '*' || c == '+')) refuse("that repeats without bound");
    if (looking && c == '{') {
      const long hi = brace_upper_bound(p, i);
      if (hi < 0) refuse("that repeats without bound");
      if (hi > kMaxLookaroundRepeat) refuse("that repeats more than 255 times");
    }
  }
}

std::string onig_to_pcre2(std::string_view p) {
  std::string out;
  out.reserve(p.size() + 64);
  bool in_class = false;
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      char d = p[i + 1];
      if (d == 's') {
        if (in_class) out += kSpaceClass;
        else out += std::string("[") + kSpaceClass + "]";
        ++i;
        continue;
      }
      if (d == 'S' && !in_class) {
        out += std::string("[^") + kSpaceClass + "]";
        ++i;
        continue;
      }
      out += c;
      out += d;
      ++i;
      continue;
    }
    if (!in_class && c == '[') {
      in_class = true;
      out += c;
      // A ']' or '^]' right after '[' is literal.
      if (i + 1 < p.size() && p[i + 1] == '^') { out += '^'; ++i; }
      if (i + 1 < p.size() && p[i + 1] == ']') { out += ']'; ++i; }
      continue;
    }
    if (in_class && c == ']') in_class = false;
    out += c;
  }
  return out;
}

std::string regex_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

Regex::Regex(const std::string& pattern, const std::string& what) : pattern_(pattern) {
  check_lookarounds(pattern, what);
  int err = 0;
  PCRE2_SIZE off = 0;
  code_ = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                        PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK, &err, &off, nullptr);
  if (!code_) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(err, buf, sizeof buf);
    fail(Code::format, what + ": invalid regex at offset " + std::to_string(off) + ": " +
                           reinterpret_cast<const char*>(buf) + " (pattern: " + pattern + ")");
  }
  jit_ = pcre2_jit_compile(code_, PCRE2_JIT_COMPLETE) == 0;
}

Regex::~Regex() {
  if (code_) pcre2_code_free(code_);
}

bool Regex::find(std::string_view s, size_t start, std::pair<size_t, size_t>& match) const {
  ThreadState& ts = thread_state();
  if (!ts.md) throw std::bad_alloc();
  int rc;
  if (jit_)
    rc = pcre2_jit_match(code_, reinterpret_cast<PCRE2_SPTR>(s.data()), s.size(), start, 0,
                         ts.md, ts.ctx);
  else
    rc = pcre2_match(code_, reinterpret_cast<PCRE2_SPTR>(s.data()), s.size(), start,
                     PCRE2_NO_UTF_CHECK, ts.md, ts.ctx);
  if (rc == PCRE2_ERROR_NOMATCH) return false;
  if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT ||
      rc == PCRE2_ERROR_JIT_STACKLIMIT) {
    // A pattern from a tokenizer file that backtracks without bound (e.g. "(a+)+$") is a bad
    // file, not a bug in maskkv: PCRE2's limits stop it, and the status says whose fault it is.
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(rc, buf, sizeof buf);
    fail(Code::format, std::string("regex gave up on this text: ") + reinterpret_cast<const char*>(buf) +
                           " (pattern: " + pattern_ + "); the tokenizer's pattern backtracks without bound");
  }
  if (rc < 0 && rc != 0) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(rc, buf, sizeof buf);
    fail(Code::internal, std::string("regex match failed: ") +
                             reinterpret_cast<const char*>(buf) + " (pattern: " + pattern_ + ")");
  }
  PCRE2_SIZE* ov = pcre2_get_ovector_pointer(ts.md);
  match = {ov[0], ov[1]};
  return true;
}

}  // namespace maskkv::tok
