#include "tokenizer/spm_check.h"

#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#include "core/error.h"

namespace maskkv::tok {
namespace {

// Just enough of the protobuf wire format to find ModelProto.normalizer_spec (field 3) and
// .denormalizer_spec (field 5), and in each NormalizerSpec its precompiled_charsmap (field 2).
// A message field that occurs twice is merged and a bytes field keeps its last value, as
// protobuf parsers do, so the last charsmap seen is the one libsentencepiece will use.
class Wire {
 public:
  Wire(std::string_view s, const std::string& what) : s_(s), what_(what) {}
  bool done() const { return pos_ >= s_.size(); }
  // Reads a field; for length-delimited fields `payload` is set.
  uint32_t next(std::string_view& payload) {
    uint64_t key = varint();
    const uint32_t type = key & 7;
    payload = {};
    switch (type) {
      case 0: varint(); break;
      case 1: skip(8); break;
      case 5: skip(4); break;
      case 2: {
        uint64_t n = varint();
        if (n > s_.size() - pos_) bad("a length-delimited field runs past the end");
        payload = s_.substr(pos_, n);
        pos_ += n;
        break;
      }
      default: bad("unsupported protobuf wire type " + std::to_string(type));
    }
    return static_cast<uint32_t>(key >> 3);
  }

 private:
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= s_.size()) bad("a varint runs past the end");
      const uint8_t b = static_cast<uint8_t>(s_[pos_++]);
      v |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    bad("a varint longer than 10 bytes");
  }
  void skip(size_t n) {
    if (n > s_.size() - pos_) bad("a fixed-size field runs past the end");
    pos_ += n;
  }
  [[noreturn]] void bad(const std::string& why) const {
    fail(Code::format, what_ + ": not a valid SentencePiece model (" + why + ")");
  }
  std::string_view s_;
  const std::string& what_;
  size_t pos_ = 0;
};

uint32_t load_u32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;  // darts-clone units are little-endian on every platform we build for
}

// The darts-clone unit accessors (darts.h, DoubleArrayUnit).
bool has_leaf(uint32_t u) { return ((u >> 8) & 1) == 1; }
uint32_t value(uint32_t u) { return u & ((1U << 31) - 1); }
uint32_t label(uint32_t u) { return u & ((1U << 31) | 0xFF); }
uint32_t offset(uint32_t u) { return (u >> 10) << ((u & (1U << 9)) >> 6); }

void check_charsmap(std::string_view blob, const std::string& field, const std::string& path) {
  auto bad = [&](const std::string& why) {
    fail(Code::format, path + ": " + field + ".precompiled_charsmap: " + why);
  };
  if (blob.size() > kMaxSpmCharsMapBytes)
    bad(std::to_string(blob.size()) + " bytes exceed the limit of " + std::to_string(kMaxSpmCharsMapBytes));
  if (blob.size() <= 4) bad("shorter than its 4-byte trie size");
  const uint32_t trie_bytes = load_u32(blob.data());
  if (trie_bytes > blob.size() - 4) bad("trie size " + std::to_string(trie_bytes) + " runs past the table");
  if (trie_bytes < 4 || trie_bytes % 4 != 0)
    bad("trie size " + std::to_string(trie_bytes) + " is not a positive multiple of 4");
  const char* trie = blob.data() + 4;
  const size_t units = trie_bytes / 4;
  const size_t strings = blob.size() - 4 - trie_bytes;
  auto unit = [&](size_t i) { return load_u32(trie + 4 * i); };
  // Visit every state reachable from the root the way commonPrefixSearch walks: from node
  // `pos` holding unit `u`, byte c leads to unit index pos ^ offset(u) ^ c, which is taken
  // when its label is c; the walk goes on from that index ^ its own offset.
  std::vector<uint8_t> seen(units, 0);
  std::vector<std::pair<uint32_t, uint32_t>> todo{{0u, unit(0)}};
  while (!todo.empty()) {
    auto [pos, u] = todo.back();
    todo.pop_back();
    for (uint32_t c = 0; c < 256; ++c) {
      const uint32_t child = pos ^ offset(u) ^ c;
      if (child >= units) {
        // Bytes whose transition leaves the trie are read by the library before it compares
        // the label: any such index is out of bounds.
        bad("a transition leaves the trie (unit " + std::to_string(child) + " of " + std::to_string(units) + ")");
      }
      const uint32_t cu = unit(child);
      if (label(cu) != c) continue;
      const uint32_t next = child ^ offset(cu);
      if (next >= units) bad("a node points outside the trie (unit " + std::to_string(next) + ")");
      if (has_leaf(cu) && value(unit(next)) >= strings)
        bad("a replacement offset " + std::to_string(value(unit(next))) + " lies outside the " +
            std::to_string(strings) + "-byte string table");
      if (!seen[child]) {
        seen[child] = 1;
        todo.emplace_back(next, cu);
      }
    }
  }
}

}  // namespace

void check_spm_model(std::string_view model, const std::string& path) {
  std::optional<std::string_view> maps[2];  // normalizer, denormalizer
  Wire top(model, path);
  size_t n_pieces = 0;
  while (!top.done()) {
    std::string_view payload;
    const uint32_t field = top.next(payload);
    if (field == 1) {
      // pieces[i].piece (field 1): darts-clone, which libsentencepiece builds its matchers
      // with, throws on an empty key.
      Wire piece(payload, path);
      bool non_empty = false;
      while (!piece.done()) {
        std::string_view p;
        if (piece.next(p) == 1) non_empty = !p.empty();
      }
      if (!non_empty)
        fail(Code::format, path + ": pieces[" + std::to_string(n_pieces) + "].piece is missing or empty");
      ++n_pieces;
      continue;
    }
    if (field != 3 && field != 5) continue;
    Wire spec(payload, path);
    while (!spec.done()) {
      std::string_view p;
      if (spec.next(p) == 2) maps[field == 5] = p;
    }
  }
  const char* names[2] = {"normalizer_spec", "denormalizer_spec"};
  for (int i = 0; i < 2; ++i)
    if (maps[i] && !maps[i]->empty()) check_charsmap(*maps[i], names[i], path);
}

}  // namespace maskkv::tok
