// The BPE model of a Hugging Face tokenizer.json: a vocabulary, ranked merges keyed by pairs of
// ids, and the options that change how a word is split (unk, byte_fallback, ignore_merges,
// continuing_subword_prefix, end_of_word_suffix). In byte-level mode the vocabulary is keyed by
// raw bytes (the byte-level alphabet already undone), so a word is the raw bytes of a
// pre-tokenized piece and its first symbols come from a 256-entry table.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace maskkv::tok {

// Open-addressing map from a pair of ids to (rank, merged id).
class PairMap {
 public:
  struct Value {
    int32_t rank;
    int32_t id;
  };
  void reserve(size_t n);
  // Later inserts of the same pair overwrite earlier ones (as the reference does).
  void insert(int32_t a, int32_t b, Value v);
  const Value* find(int32_t a, int32_t b) const {
    uint64_t key = (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
    size_t i = hash(key) & mask_;
    for (;;) {
      const Slot& s = slots_[i];
      if (s.key == key) return &s.value;
      if (s.key == kEmpty) return nullptr;
      i = (i + 1) & mask_;
    }
  }
  size_t size() const { return size_; }

 private:
  static constexpr uint64_t kEmpty = ~0ull;
  struct Slot {
    uint64_t key = kEmpty;
    Value value{0, 0};
  };
  static size_t hash(uint64_t k) { return static_cast<size_t>((k * 0x9E3779B97F4A7C15ull) >> 20); }
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

struct BpeOptions {
  bool byte_level = false;          // words are raw bytes; vocabulary keyed by raw bytes
  bool byte_fallback = false;
  bool ignore_merges = false;
  bool fuse_unk = false;
  int32_t unk_id = -1;
  std::string continuing_subword_prefix;
  std::string end_of_word_suffix;
};

class Bpe {
 public:
  // vocab: token key (raw bytes in byte-level mode, else UTF-8) -> id. merges: pairs of keys,
  // in rank order. Throws Error(format) naming `origin` on a merge whose parts are absent.
  Bpe(std::unordered_map<std::string, int32_t> vocab,
      const std::vector<std::pair<std::string, std::string>>& merges, BpeOptions options,
      const std::string& origin);

  // Appends the ids of one pre-tokenized word.
  void tokenize(std::string_view word, std::vector<int32_t>& out) const;

  int32_t find(std::string_view key) const {
    auto it = vocab_.find(std::string(key));
    return it == vocab_.end() ? -1 : it->second;
  }
  const std::unordered_map<std::string, int32_t>& vocab() const { return vocab_; }
  const BpeOptions& options() const { return opt_; }
  size_t n_merges() const { return merges_.size(); }

 private:
  void initial_symbols(std::string_view word, std::vector<int32_t>& syms) const;
  void merge(std::vector<int32_t>& syms) const;
  void merge_small(std::vector<int32_t>& syms) const;
  void merge_heap(std::vector<int32_t>& syms) const;

  std::unordered_map<std::string, int32_t> vocab_;
  PairMap merges_;
  BpeOptions opt_;
  std::array<int32_t, 256> byte_id_{};
  std::array<int32_t, 256> byte_fallback_id_{};

  // Word -> ids cache, sharded to keep threads apart.
  static constexpr size_t kShards = 64;
  static constexpr size_t kShardCapacity = 2048;  // at most 131,072 cached words
  static constexpr size_t kMaxCachedWord = 128;
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, std::vector<int32_t>> map;
  };
  std::unique_ptr<Shard[]> cache_;
};

}  // namespace maskkv::tok
