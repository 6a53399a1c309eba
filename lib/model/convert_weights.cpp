#include "model/convert_weights.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <limits>
#include <vector>

#include "core/error.h"
#include "core/quant_blocks.h"
#include "core/quantize.h"
#include "core/thread_pool.h"

namespace maskkv {

namespace {

// Gives the whole pages inside [p, p + bytes) of a read-only file mapping back to the kernel;
// a later read faults them in from the file again. Where there is no madvise (the Windows
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
  Converter(Weights& w, DType to, int n_threads)
      : w_(w), to_(to), pool_(n_threads > 0 ? n_threads : ThreadPool::hardware_threads()),
        scratch_(pool_.size()) {}

  // Converts *v in place (the view now addresses owned memory); `what` names it in errors.
  void convert(WeightView* v, const std::string& what) {
    if (v->dtype == to_) return;
    if (dtype_is_block(to_) && v->cols % kQuantBlock != 0) return;  // stays as stored
    const size_t in_row = dtype_row_bytes(v->dtype, v->cols), out_row = dtype_row_bytes(to_, v->cols);
    std::unique_ptr<uint8_t[]> out(new uint8_t[out_row * static_cast<size_t>(v->rows)]);
    const auto* src = static_cast<const uint8_t*>(v->data);
    uint8_t* dst = out.get();
    const int64_t cols = v->cols;
    const DType from = v->dtype;
    // The first non-finite value (flat index), reported after the loop: the pool's workers must
    // not throw.
    std::atomic<int64_t> first_bad{std::numeric_limits<int64_t>::max()};
    pool_.parallel_for(static_cast<size_t>(v->rows), [&](int tid, size_t b, size_t e) {
      std::vector<float>& row = scratch_[tid];
      row.resize(static_cast<size_t>(cols));
      for (size_t r = b; r < e; ++r) {
        convert_to_f32(from, src + r * in_row, row.data(), row.size());
        const int64_t bad = first_non_finite(DType::f32, row.data(), row.size());
        if (bad >= 0) {
          int64_t at = static_cast<int64_t>(r) * cols + bad, seen = first_bad.load();
          while (at < seen && !first_bad.compare_exchange_weak(seen, at)) {
          }
          return;
        }
        if (to_ == DType::bf16) {
          auto* o = reinterpret_cast<uint16_t*>(dst + r * out_row);
          for (int64_t j = 0; j < cols; ++j) o[j] = f32_to_bf16(row[j]);
        } else {
          quantize_row(to_, row.data(), dst + r * out_row, cols);
        }
      }
    });
    if (first_bad.load() != std::numeric_limits<int64_t>::max())
      fail(Code::format, what + " holds a non-finite value (NaN or Inf) at index " + std::to_string(first_bad.load()) +
                             "; it cannot be converted to " + dtype_name(to_));
    release_pages(src, in_row * static_cast<size_t>(v->rows));
    w_.bytes = w_.bytes - std::min<uint64_t>(w_.bytes, in_row * v->rows) + out_row * v->rows;
    v->dtype = to_;
    v->data = dst;
    w_.converted->push_back(std::move(out));
  }

 private:
  Weights& w_;
  DType to_;
  ThreadPool pool_;
  std::vector<std::vector<float>> scratch_;
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

Weights convert_weights(const Weights& bound, WeightType type, int n_threads) {
  if (type == WeightType::as_stored) return bound;
  if (type != WeightType::bf16 && type != WeightType::q8_0 && type != WeightType::q4_0)
    fail(Code::invalid_argument, "unknown weight type " + std::to_string(static_cast<int>(type)));
  const DType to = type == WeightType::bf16 ? DType::bf16 : type == WeightType::q8_0 ? DType::q8_0 : DType::q4_0;
  Weights w = bound;
  w.converted = std::make_shared<std::deque<std::unique_ptr<uint8_t[]>>>();
  Converter c(w, to, n_threads);
  // A tied LM head shares the embedding's memory: its converted copy is counted as new bytes.
  if (w.lm_head.data == w.embed.data) w.bytes += dtype_row_bytes(w.embed.dtype, w.embed.cols) * w.embed.rows;
  const bool tied = w.lm_head.data == w.embed.data;
  c.convert(&w.lm_head, "the LM head");
  if (to == DType::bf16 && dtype_is_block(w.embed.dtype)) {
    if (tied) {
      w.bytes -= std::min<uint64_t>(w.bytes, dtype_row_bytes(w.embed.dtype, w.embed.cols) * w.embed.rows);
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
    w.dtype = L.wq.dtype;
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
