#include "tokenizer/unicode.h"

#include <algorithm>
#include <vector>

namespace maskkv::tok::unicode {
namespace {
#include "tokenizer/unicode_tables.inc"

constexpr uint32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr uint32_t kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount,
                   kSCount = kLCount * kNCount;

inline uint8_t ccc_of(uint32_t c) { return ccc_data[ccc_index[c >> 8]][c & 0xFF]; }
inline uint8_t flags_of(uint32_t c) { return nfcflags_data[nfcflags_index[c >> 8]][c & 0xFF]; }

struct Cp {
  uint32_t cp;
  uint8_t ccc;
};

void decompose_into(uint32_t c, std::vector<Cp>& out) {
  if (c >= kSBase && c < kSBase + kSCount) {
    uint32_t s = c - kSBase;
    out.push_back({kLBase + s / kNCount, 0});
    out.push_back({kVBase + (s % kNCount) / kTCount, 0});
    if (s % kTCount) out.push_back({kTBase + s % kTCount, 0});
    return;
  }
  if (flags_of(c) & 4) {
    const auto* end = decomp_entries + sizeof(decomp_entries) / sizeof(decomp_entries[0]);
    const auto* e = std::lower_bound(decomp_entries, end, c,
                                     [](const DecompEntry& d, uint32_t v) { return d.cp < v; });
    if (e != end && e->cp == c) {
      for (unsigned k = 0; k < e->len; ++k) {
        uint32_t d = decomp_pool[e->offset + k];
        out.push_back({d, ccc_of(d)});
      }
      return;
    }
  }
  out.push_back({c, ccc_of(c)});
}

uint32_t compose_pair(uint32_t a, uint32_t b) {
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount)
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase &&
      b < kTBase + kTCount)
    return a + (b - kTBase);
  uint64_t key = (static_cast<uint64_t>(a) << 21) | b;
  const auto* end = compose_pairs + sizeof(compose_pairs) / sizeof(compose_pairs[0]);
  const auto* e = std::lower_bound(compose_pairs, end, key,
                                   [](const ComposePair& p, uint64_t k) { return p.key < k; });
  if (e != end && e->key == key) return e->cp;
  return 0;
}

// Decomposes s fully and puts it in canonical order.
std::vector<Cp> decompose_ordered(std::string_view s) {
  std::vector<Cp> buf;
  buf.reserve(s.size() + 8);
  size_t i = 0;
  while (i < s.size()) decompose_into(next_cp(s, i), buf);
  // Canonical ordering: stable sort each run of non-starters by combining class.
  size_t n = buf.size();
  for (size_t k = 0; k < n;) {
    if (buf[k].ccc == 0) { ++k; continue; }
    size_t j = k;
    while (j < n && buf[j].ccc != 0) ++j;
    if (j - k > 1)
      std::stable_sort(buf.begin() + k, buf.begin() + j,
                       [](const Cp& a, const Cp& b) { return a.ccc < b.ccc; });
    k = j;
  }
  return buf;
}

// A UTF-8 sequence by its lead byte: its length (0 for a byte that cannot start one) and the
// range its second byte must fall in (narrower than 80..BF where overlong forms, surrogates or
// code points past U+10FFFF would otherwise be encoded).
struct Utf8Lead {
  size_t len = 0;
  unsigned lo = 0x80, hi = 0xBF;
};

Utf8Lead utf8_lead(unsigned c) {
  Utf8Lead l;
  if (c >= 0xC2 && c <= 0xDF) {
    l.len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    l.len = 3;
    if (c == 0xE0) l.lo = 0xA0;
    if (c == 0xED) l.hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    l.len = 4;
    if (c == 0xF0) l.lo = 0x90;
    if (c == 0xF4) l.hi = 0x8F;
  }
  return l;
}

}  // namespace

const char* unicode_version() { return MASKKV_UNICODE_VERSION; }

size_t find_invalid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size(), i = 0;
  while (i < n) {
    // Fast path: 8 ASCII bytes at a time.
    while (i + 8 <= n) {
      uint64_t w;
      __builtin_memcpy(&w, p + i, 8);
      if (w & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= n) break;
    unsigned c = p[i];
    if (c < 0x80) { ++i; continue; }
    const Utf8Lead lead = utf8_lead(c);
    const size_t len = lead.len;
    if (len == 0 || i + len > n) return i;
    if (p[i + 1] < lead.lo || p[i + 1] > lead.hi) return i;
    for (size_t k = 2; k < len; ++k)
      if ((p[i + k] & 0xC0) != 0x80) return i;
    i += len;
  }
  return std::string_view::npos;
}

std::string to_valid_utf8_lossy(std::string_view s) {
  if (find_invalid_utf8(s) == std::string_view::npos) return std::string(s);
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size(), i = 0;
  std::string out;
  out.reserve(n + 8);
  static const char kRepl[] = "\xEF\xBF\xBD";
  while (i < n) {
    unsigned c = p[i];
    if (c < 0x80) { out.push_back(static_cast<char>(c)); ++i; continue; }
    const Utf8Lead lead = utf8_lead(c);
    const size_t len = lead.len;
    if (len == 0) { out.append(kRepl, 3); ++i; continue; }
    // Consume the longest valid prefix of the sequence; a full one is copied, a partial one
    // becomes one U+FFFD.
    size_t k = 1;
    while (k < len && i + k < n) {
      unsigned b = p[i + k];
      if (k == 1 ? (b < lead.lo || b > lead.hi) : ((b & 0xC0) != 0x80)) break;
      ++k;
    }
    if (k == len) out.append(s.data() + i, len);
    else out.append(kRepl, 3);
    i += k;
  }
  return out;
}

void append_utf8(std::string& out, uint32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

bool is_word_char(uint32_t c) {
  if (c < 0x80)
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  return c < 0x110000 && (flags_of(c) & 8);
}

bool is_nfc_quick(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size(), i = 0;
  uint8_t last_ccc = 0;
  while (i < n) {
    if (p[i] < 0xCC) {  // below U+0300: NFC_QC=Yes and combining class 0
      i += utf8_len(p[i]);
      last_ccc = 0;
      continue;
    }
    uint32_t c = next_cp(s, i);
    uint8_t cc = ccc_of(c);
    if ((flags_of(c) & 3) || (cc != 0 && cc < last_ccc)) return false;
    last_ccc = cc;
  }
  return true;
}

std::string nfd(std::string_view s) {
  std::vector<Cp> buf = decompose_ordered(s);
  std::string out;
  out.reserve(s.size() + 8);
  for (const Cp& c : buf) append_utf8(out, c.cp);
  return out;
}

std::string nfc(std::string_view s) {
  if (is_nfc_quick(s)) return std::string(s);
  std::vector<Cp> buf = decompose_ordered(s);
  size_t n = buf.size();
  if (n == 0) return {};
  // Canonical composition (UAX #15).
  size_t starter = 0;
  bool have_starter = buf[0].ccc == 0;
  int last_class = have_starter ? 0 : 256;
  size_t out_pos = 1;
  for (size_t k = 1; k < n; ++k) {
    Cp ch = buf[k];
    uint32_t composite = have_starter ? compose_pair(buf[starter].cp, ch.cp) : 0;
    if (composite != 0 && (last_class < ch.ccc || last_class == 0)) {
      buf[starter].cp = composite;
      buf[starter].ccc = 0;
      continue;
    }
    if (ch.ccc == 0) {
      starter = out_pos;
      have_starter = true;
    }
    last_class = ch.ccc;
    buf[out_pos++] = ch;
  }
  std::string out;
  out.reserve(s.size());
  for (size_t k = 0; k < out_pos; ++k) append_utf8(out, buf[k].cp);
  return out;
}

}  // namespace maskkv::tok::unicode
