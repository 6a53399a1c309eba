#include "model/convert_weights.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <limits>
#include <optional>
#include <vector>

#include "core/error.h"
#include "core/quant_blocks.h"
#include "core/quant_interleave.h"
#include "core/quantize.h"
#include "core/thread_pool.h"

namespace maskkv {

namespace {

// Gives the whole pages inside [p, p + bytes) back to the kernel (MADV_DONTNEED): pages of a file
// mapping fault in from the file again if read; memory the process owns (a GGUF file's
// dequantized or reordered tensors, matrices converted before) reads as zeros afterwards, so
// only a source nothing reads any more may be released. Where there is no madvise (the Windows
// build's mmap shim) the pages stay until the system reclaims them.
void release_pages(const void* p, size_t bytes) {
#ifdef MADV_DONTNEED
  static const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + page - 1) / page * page;
  const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + bytes) / page * page;
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
#else
  (void)p;
  (void)bytes;
#endif
}

class Converter {
 public:
  // to: the dtype every converted matrix takes, or nullopt to keep each one's own; interleave:
  // block-dtype results are stored interleaved by 16 rows (core/quant_interleave.h).
  Converter(Weights& w, std::optional<DType> to, bool interleave, int n_threads)
      : w_(w), to_(to), interleave_(interleave), pool_(n_threads > 0 ? n_threads : ThreadPool::hardware_threads()),
        scratch_(pool_.size()) {}

  // Converts *v in place (the view now addresses owned memory); `what` names it in errors.
  // `shared`: the source is also the token embedding (a tied LM head), which stays in use, so
  // its pages are kept and its bytes still counted.
  void convert(WeightView* v, const std::string& what, bool shared = false) {
    const DType to = to_.value_or(v->dtype);
    if (dtype_is_block(to) && v->cols % kQuantBlock != 0) return;  // stays as stored
    const bool interleave = interleave_ && dtype_is_block(to) && v->rows % kInterleaveRows == 0;
    if (v->dtype == to && !interleave) return;
    const size_t in_row = dtype_row_bytes(v->dtype, v->cols), out_row = dtype_row_bytes(to, v->cols);
    std::unique_ptr<uint8_t[]> out(new uint8_t[out_row * static_cast<size_t>(v->rows)]);
    const auto* src = static_cast<const uint8_t*>(v->data);
    uint8_t* dst = out.get();
    const int64_t cols = v->cols;
    const DType from = v->dtype;
    // Tasks of one row, or of one 16-row group when interleaving (quantized into a scratch
    // group first unless already in the block dtype).
    const int64_t unit = interleave ? kInterleaveRows : 1;
    // The first non-finite value (flat index), reported after the loop: the pool's workers must
    // not throw.
    std::atomic<int64_t> first_bad{std::numeric_limits<int64_t>::max()};
    pool_.parallel_for(static_cast<size_t>(v->rows / unit), [&](int tid, size_t b, size_t e) {
      Scratch& s = scratch_[tid];
      s.row.resize(static_cast<size_t>(cols));
      if (interleave) s.group.resize(out_row * kInterleaveRows);
      for (size_t u = b; u < e; ++u) {
        const int64_t r0 = static_cast<int64_t>(u) * unit;
        const uint8_t* plain = src + r0 * in_row;  // the unit's rows in the block dtype
        if (from != to) {
          uint8_t* rows_out = interleave ? s.group.data() : dst + r0 * out_row;
          for (int64_t r = 0; r < unit; ++r) {
            convert_to_f32(from, src + (r0 + r) * in_row, s.row.data(), s.row.size());
            const int64_t bad = first_non_finite(DType::f32, s.row.data(), s.row.size());
            if (bad >= 0) {
              int64_t at = (r0 + r) * cols + bad, seen = first_bad.load();
              while (at < seen && !first_bad.compare_exchange_weak(seen, at)) {
              }
              return;
            }
            if (to == DType::bf16) {
              auto* o = reinterpret_cast<uint16_t*>(rows_out + r * out_row);
              for (int64_t j = 0; j < cols; ++j) o[j] = f32_to_bf16(s.row[j]);
            } else {
              quantize_row(to, s.row.data(), rows_out + r * out_row, cols);
            }
          }
          plain = rows_out;
        }
        if (interleave) interleave_group(to, plain, cols, dst + r0 * out_row);
      }
    });
    if (first_bad.load() != std::numeric_limits<int64_t>::max())
      fail(Code::format, what + " holds a non-finite value (NaN or Inf) at index " + std::to_string(first_bad.load()) +
                             "; it cannot be converted to " + dtype_name(to));
    if (!shared) {
      release_pages(src, in_row * static_cast<size_t>(v->rows));
      w_.bytes -= std::min<uint64_t>(w_.bytes, in_row * v->rows);
    }
    w_.bytes += out_row * v->rows;
    v->dtype = interleave ? interleaved_dtype(to) : to;
    v->data = dst;
    w_.converted->push_back(std::move(out));
  }

 private:
  struct Scratch {
    std::vector<float> row;
    std::vector<uint8_t> group;
  };
  Weights& w_;
  std::optional<DType> to_;
  bool interleave_;
  ThreadPool pool_;
  std::vector<Scratch> scratch_;
};

}  // namespace

const char* weight_type_name(WeightType t) {
  switch (t) {
    case WeightType::as_stored: return "auto";
    case WeightType::bf16: return "bf16";
    case WeightType::q8_0: return "q8_0";
    case WeightType::q4_0: return "q4_0";
  }
  return "?";
}

Weights convert_weights(const Weights& bound, WeightType type, int n_threads, bool interleave) {
  if (type != WeightType::as_stored && type != WeightType::bf16 && type != WeightType::q8_0 && type != WeightType::q4_0)
    fail(Code::invalid_argument, "unknown weight type " + std::to_string(static_cast<int>(type)));
  if (type == WeightType::as_stored && (!interleave || !block_weight_dtype(bound))) return bound;
  std::optional<DType> to;
  if (type != WeightType::as_stored)
    to = type == WeightType::bf16 ? DType::bf16 : type == WeightType::q8_0 ? DType::q8_0 : DType::q4_0;
  Weights w = bound;
  w.converted = std::make_shared<std::deque<std::unique_ptr<uint8_t[]>>>();
  Converter c(w, to, interleave, n_threads);
  // A tied LM head shares the embedding's memory: its converted copy is new bytes, and the
  // embedding's pages stay.
  const bool tied = w.lm_head.data == w.embed.data;
  c.convert(&w.lm_head, "the LM head", tied);
  if (to == DType::bf16 && dtype_is_block(w.embed.dtype)) {
    if (tied) {
      const size_t embed_bytes = dtype_row_bytes(w.embed.dtype, w.embed.cols) * w.embed.rows;
      w.bytes -= std::min<uint64_t>(w.bytes, embed_bytes);
      release_pages(w.embed.data, embed_bytes);
      w.embed = w.lm_head;  // one bf16 copy serves both
    } else {
      c.convert(&w.embed, "the token embedding");
    }
  }
  static const char* const kNames[] = {"q", "k", "v", "o", "gate", "up", "down"};
  for (size_t i = 0; i < w.layers.size(); ++i) {
    LayerWeights& L = w.layers[i];
    WeightView* m[] = {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down};
    for (int j = 0; j < 7; ++j)
      c.convert(m[j], "layer " + std::to_string(i) + " projection '" + kNames[j] + "'");
    w.dtype = plain_dtype(L.wq.dtype);
  }
  return w;
}

const char* block_weight_dtype(const Weights& w) {
  std::vector<const WeightView*> views = {&w.embed, &w.lm_head};
  for (const LayerWeights& L : w.layers)
    for (const WeightView* v : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down}) views.push_back(v);
  for (const WeightView* v : views)
    if (dtype_is_block(v->dtype)) return dtype_name(v->dtype);
  return nullptr;
}

}  // namespace maskkv
