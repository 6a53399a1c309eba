#include "tokenizer/bpe.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <limits>
#include <queue>

#include "core/error.h"
#include "tokenizer/unicode.h"

namespace maskkv::tok {

void PairMap::reserve(size_t n) {
  size_t cap = 16;
  while (cap < n * 2 + 1) cap <<= 1;
  slots_.assign(cap, Slot{});
  mask_ = cap - 1;
  size_ = 0;
}

void PairMap::insert(int32_t a, int32_t b, Value v) {
  if (slots_.empty() || (size_ + 1) * 2 > slots_.size()) {
    std::vector<Slot> old;
    old.swap(slots_);
    reserve(std::max<size_t>(size_ + 1, old.size()));
    for (const Slot& s : old)
      if (s.key != kEmpty)
        insert(static_cast<int32_t>(s.key >> 32), static_cast<int32_t>(s.key & 0xFFFFFFFFu), s.value);
  }
  uint64_t key = (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  size_t i = hash(key) & mask_;
  for (;;) {
    Slot& s = slots_[i];
    if (s.key == key) {
      s.value = v;
      return;
    }
    if (s.key == kEmpty) {
      s.key = key;
      s.value = v;
      ++size_;
      return;
    }
    i = (i + 1) & mask_;
  }
}

Bpe::Bpe(std::unordered_map<std::string, int32_t> vocab,
         const std::vector<std::pair<std::string, std::string>>& merges, BpeOptions options,
         const std::string& origin)
    : vocab_(std::move(vocab)), opt_(std::move(options)), cache_(new Shard[kShards]) {
  merges_.reserve(merges.size());
  std::string joined;
  for (size_t r = 0; r < merges.size(); ++r) {
    const auto& [a, b] = merges[r];
    auto ia = vocab_.find(a), ib = vocab_.find(b);
    joined.assign(a).append(b);
    auto ij = vocab_.find(joined);
    if (ia == vocab_.end() || ib == vocab_.end() || ij == vocab_.end())
      fail(Code::format, origin + ": model.merges[" + std::to_string(r) +
                             "]: a merge whose part or result is not in the vocabulary");
    merges_.insert(ia->second, ib->second, {static_cast<int32_t>(r), ij->second});
  }
  for (int b = 0; b < 256; ++b) {
    std::string one(1, static_cast<char>(b));
    auto it = vocab_.find(one);
    byte_id_[b] = it == vocab_.end() ? -1 : it->second;
    char buf[8];
    std::snprintf(buf, sizeof buf, "<0x%02X>", b);
    auto jt = vocab_.find(buf);
    byte_fallback_id_[b] = jt == vocab_.end() ? -1 : jt->second;
  }
}

void Bpe::initial_symbols(std::string_view w, std::vector<int32_t>& syms) const {
  syms.clear();
  const bool simple = opt_.continuing_subword_prefix.empty() && opt_.end_of_word_suffix.empty();
  if (opt_.byte_level && simple) {
    bool all = true;
    for (unsigned char c : w) {
      int32_t id = byte_id_[c];
      syms.push_back(id);
      all &= id >= 0;
    }
    if (all) return;
    syms.clear();
  }
  // General path: one symbol per character (per byte in byte-level mode), with the
  // prefix/suffix decorations, byte fallback and unk handling of the reference.
  int32_t unk = -1;  // pending unk (fused or not)
  bool have_unk = false;
  std::string s;
  size_t i = 0;
  while (i < w.size()) {
    size_t len = opt_.byte_level ? 1 : unicode::utf8_len(static_cast<unsigned char>(w[i]));
    bool first = i == 0, last = i + len >= w.size();
    s.clear();
    if (!first) s += opt_.continuing_subword_prefix;
    s.append(w.substr(i, len));
    if (last) s += opt_.end_of_word_suffix;
    i += len;
    auto it = vocab_.find(s);
    if (it != vocab_.end()) {
      if (have_unk) {
        syms.push_back(unk);
        have_unk = false;
      }
      syms.push_back(it->second);
      continue;
    }
    if (opt_.byte_fallback) {
      bool ok = true;
      for (unsigned char c : s) ok &= byte_fallback_id_[c] >= 0;
      if (ok) {
        // Byte tokens do not flush a pending unk in the reference either.
        for (unsigned char c : s) syms.push_back(byte_fallback_id_[c]);
        continue;
      }
    }
    if (opt_.unk_id >= 0) {
      if (have_unk && !opt_.fuse_unk) syms.push_back(unk);
      unk = opt_.unk_id;
      have_unk = true;
    }
    // Without an unk token the character is dropped, as the reference does.
  }
  if (have_unk) syms.push_back(unk);
}

void Bpe::merge_small(std::vector<int32_t>& syms) const {
  constexpr int32_t kNone = std::numeric_limits<int32_t>::max();
  size_t n = syms.size();
  int32_t rank[64], nid[64];
  for (size_t i = 0; i + 1 < n; ++i) {
    const PairMap::Value* v = merges_.find(syms[i], syms[i + 1]);
    rank[i] = v ? v->rank : kNone;
    nid[i] = v ? v->id : -1;
  }
  while (n > 1) {
    size_t best = 0;
    int32_t br = rank[0];
    for (size_t i = 1; i + 1 < n; ++i)
      if (rank[i] < br) {
        br = rank[i];
        best = i;
      }
    if (br == kNone) break;
    syms[best] = nid[best];
    // Remove symbol best+1 and pair best (its pair with best+1's right neighbour moves left).
    for (size_t i = best + 1; i + 1 < n; ++i) syms[i] = syms[i + 1];
    for (size_t i = best; i + 2 < n; ++i) {
      rank[i] = rank[i + 1];
      nid[i] = nid[i + 1];
    }
    --n;
    if (best + 1 < n) {
      const PairMap::Value* v = merges_.find(syms[best], syms[best + 1]);
      rank[best] = v ? v->rank : kNone;
      nid[best] = v ? v->id : -1;
    }
    if (best > 0) {
      const PairMap::Value* v = merges_.find(syms[best - 1], syms[best]);
      rank[best - 1] = v ? v->rank : kNone;
      nid[best - 1] = v ? v->id : -1;
    }
  }
  syms.resize(n);
}

void Bpe::merge_heap(std::vector<int32_t>& syms) const {
  // Linked list of symbols plus a min-heap of (rank, position, merged id); stale entries are
  // dropped when popped (a position whose pair changed no longer yields the same merged id).
  const size_t n = syms.size();
  std::vector<int32_t> prev(n), next(n);
  std::vector<uint8_t> alive(n, 1);
  for (size_t i = 0; i < n; ++i) {
    prev[i] = static_cast<int32_t>(i) - 1;
    next[i] = i + 1 < n ? static_cast<int32_t>(i + 1) : -1;
  }
  struct Entry {
    int32_t rank, pos, id;
    bool operator>(const Entry& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap;
  for (size_t i = 0; i + 1 < n; ++i)
    if (const PairMap::Value* v = merges_.find(syms[i], syms[i + 1]))
      heap.push({v->rank, static_cast<int32_t>(i), v->id});
  while (!heap.empty()) {
    Entry e = heap.top();
    heap.pop();
    int32_t p = e.pos;
    if (!alive[p] || next[p] < 0) continue;
    int32_t q = next[p];
    const PairMap::Value* v = merges_.find(syms[p], syms[q]);
    if (!v || v->id != e.id || v->rank != e.rank) continue;
    syms[p] = e.id;
    alive[q] = 0;
    next[p] = next[q];
    if (next[q] >= 0) prev[next[q]] = p;
    if (prev[p] >= 0)
      if (const PairMap::Value* w = merges_.find(syms[prev[p]], syms[p]))
        heap.push({w->rank, prev[p], w->id});
    if (next[p] >= 0)
      if (const PairMap::Value* w = merges_.find(syms[p], syms[next[p]]))
        heap.push({w->rank, p, w->id});
  }
  size_t k = 0;
  for (int32_t i = 0; i >= 0 && static_cast<size_t>(i) < n; i = next[i]) syms[k++] = syms[i];
  syms.resize(k);
}

void Bpe::merge(std::vector<int32_t>& syms) const {
  if (syms.size() < 2) return;
  if (syms.size() <= 64) merge_small(syms);
  else merge_heap(syms);
}

void Bpe::tokenize(std::string_view word, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  if (word.size() == 1 && opt_.byte_level && opt_.continuing_subword_prefix.empty() &&
      opt_.end_of_word_suffix.empty()) {
    int32_t id = byte_id_[static_cast<unsigned char>(word[0])];
    if (id >= 0) {
      out.push_back(id);
      return;
    }
  }
  if (opt_.ignore_merges) {
    auto it = vocab_.find(std::string(word));
    if (it != vocab_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  const bool cacheable = word.size() <= kMaxCachedWord;
  Shard* shard = nullptr;
  std::string key;
  if (cacheable) {
    key.assign(word);
    size_t h = std::hash<std::string>{}(key);
    shard = &cache_[h % kShards];
    std::lock_guard<std::mutex> lock(shard->mu);
    auto it = shard->map.find(key);
    if (it != shard->map.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  thread_local std::vector<int32_t> syms;
  initial_symbols(word, syms);
  merge(syms);
  out.insert(out.end(), syms.begin(), syms.end());
  if (cacheable) {
    std::lock_guard<std::mutex> lock(shard->mu);
    if (shard->map.size() < kShardCapacity) shard->map.emplace(std::move(key), syms);
  }
}

}  // namespace maskkv::tok
