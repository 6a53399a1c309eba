// The CPU backend: GEMMs through OpenBLAS (single-threaded calls, parallelised here over column
// tiles so that bf16/f16 weights are converted tile by tile on the fly, never as a whole), or,
// for bf16 weights on CPUs with AMX or AVX512-BF16, through the kernels of bf16_gemm.h (chosen
// in cpu_features.h); vectorised element-wise kernels on a thread pool.
#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <new>
#include <cstring>
#include <vector>

#include "backend/backend.h"
#include "backend/cpu/address_space.h"
#include "backend/cpu/bf16_gemm.h"
#include "backend/cpu/cpu_features.h"
#include "backend/cpu/quant_gemm.h"
#include "backend/cpu/quant_linear.h"
#include "backend/cpu/vec_math.h"
#include "core/error.h"
#include "core/quant_interleave.h"
#include "core/thread_pool.h"

extern "C" void openblas_set_num_threads(int);

namespace maskkv {

namespace {

// Query rows per attention task: as many as keep the score block near 1 MiB (it is written by
// one GEMM, exponentiated, then read by the next, so it should stay in cache), 16 to 256.
constexpr int64_t kAttentionRows = 256;
constexpr int64_t kScoreBlockFloats = 256 * 1024;

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(int n_threads)
      : pool_(n_threads > 0 ? n_threads : ThreadPool::hardware_threads()),
        scratch_(pool_.size()),
        bf16_(cpu::bf16_kernels_from_env()) {
    // All parallelism is ours: BLAS calls run single-threaded inside our tasks.
    openblas_set_num_threads(1);
    // Each pool thread will make OpenBLAS allocate a work buffer, and OpenBLAS retries a failed
    // allocation forever: fail now, with a status, if they cannot fit.
    cpu::check_address_space(pool_.size() * (cpu::kBlasBufferBytes + cpu::kThreadArenaBytes) + cpu::kMinHeadroomBytes,
                             pool_.size());
  }

  const char* name() const override { return "cpu"; }
  int n_threads() const override { return pool_.size(); }

  bool host_memory() const override { return true; }

  void* allocate(size_t bytes) override {
    // 64-byte aligned, with the size stored in front for the accounting in release().
    void* p = ::operator new(64 + bytes, std::align_val_t{64}, std::nothrow);
    if (!p) fail(Code::out_of_memory, "out of host memory allocating " + std::to_string(bytes) + " bytes");
    *static_cast<size_t*>(p) = bytes;
    const uint64_t now = in_use_.fetch_add(bytes) + bytes;
    uint64_t peak = peak_.load();
    while (now > peak && !peak_.compare_exchange_weak(peak, now)) {
    }
    return static_cast<char*>(p) + 64;
  }

  void release(void* p) noexcept override {
    if (!p) return;
    void* base = static_cast<char*>(p) - 64;
    in_use_.fetch_sub(*static_cast<size_t*>(base));
    ::operator delete(base, std::align_val_t{64});
  }

  void upload(void* dst, const void* src, size_t bytes) override { copy(dst, src, bytes); }
  void download(void* dst, const void* src, size_t bytes) override { copy(dst, src, bytes); }
  void copy(void* dst, const void* src, size_t bytes) override {
    if (bytes) std::memcpy(dst, src, bytes);
  }

  void gather(const float* src, const int64_t* offsets, int64_t m, int64_t width, float* dst) override {
    for (int64_t r = 0; r < m; ++r) std::memcpy(dst + r * width, src + offsets[r], width * sizeof(float));
  }

  void scatter(const float* src, const int64_t* offsets, int64_t m, int64_t width, float* dst) override {
    for (int64_t r = 0; r < m; ++r) std::memcpy(dst + offsets[r], src + r * width, width * sizeof(float));
  }

  const void* resident(const void* host, size_t) override { return host; }

  bool interleaved_block_weights() const override { return cpu::quant_weights_interleaved(); }

  MemoryStats memory() const override { return {in_use_.load(), peak_.load(), 0}; }
  void reset_peak() override { peak_.store(in_use_.load()); }
  void synchronize() override {}

  void linear(const float* x, int64_t m, const WeightView& w, const float* bias,
              float* y) override {
    const int64_t n = w.rows, k = w.cols;
    if (m == 0 || n == 0) return;
    if (w.dtype == DType::bf16 && bf16_ != cpu::Bf16Kernels::portable)
      return cpu::bf16_linear(pool_, x, m, static_cast<const uint16_t*>(w.data), n, k, bias,
                              bf16_ == cpu::Bf16Kernels::fast, y);
    if (dtype_is_block(w.dtype) && m <= cpu::kQuantGemmMaxRows) return cpu::quant_linear(pool_, x, m, w, bias, y);
    // One contiguous column chunk per task, converted once and multiplied in one sgemm call:
    // OpenBLAS packs x once per call, so few large calls beat many small ones. Chunks are
    // capped so that a converted chunk stays a few MiB.
    const int64_t threads = pool_.size();
    const int64_t max_cols = std::max<int64_t>(64, (int64_t{1} << 21) / std::max<int64_t>(k, 1));
    int64_t tasks = std::max<int64_t>(threads, (n + max_cols - 1) / max_cols);
    tasks = (tasks + threads - 1) / threads * threads;
    const int64_t cols = ((n + tasks - 1) / tasks + 15) / 16 * 16;
    tasks = (n + cols - 1) / cols;
    pool_.parallel_for(static_cast<size_t>(tasks), [&](int tid, size_t b, size_t e) {
      for (size_t t = b; t < e; ++t) {
        const int64_t c0 = static_cast<int64_t>(t) * cols;
        const int64_t nc = std::min(cols, n - c0);
        const float* wt;
        if (w.dtype == DType::f32) {
          wt = static_cast<const float*>(w.data) + c0 * k;
        } else {
          auto& buf = scratch(tid, nc * k);
          const uint8_t* src = static_cast<const uint8_t*>(w.data) + c0 * dtype_row_bytes(w.dtype, k);
          if (dtype_is_interleaved(w.dtype)) {
            // Chunks start at multiples of 16 rows, and interleaved matrices have whole groups.
            for (int64_t g = 0; g < nc / kInterleaveRows; ++g)
              dequantize_group(w.dtype, src + g * kInterleaveRows * dtype_row_bytes(w.dtype, k), k,
                               buf.data() + g * kInterleaveRows * k);
          } else {
            convert_to_f32(w.dtype, src, buf.data(), static_cast<size_t>(nc * k));
          }
          wt = buf.data();
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m),
                    static_cast<int>(nc), static_cast<int>(k), 1.0f, x, static_cast<int>(k), wt,
                    static_cast<int>(k), 0.0f, y + c0, static_cast<int>(n));
        if (bias)
          for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < nc; ++j) y[i * n + c0 + j] += bias[c0 + j];
      }
    });
  }

  void embed(const int32_t* ids, int64_t m, const WeightView& table, float* y) override {
    const int64_t d = table.cols;
    const size_t row_bytes = dtype_row_bytes(table.dtype, d);
    pool_.parallel_for(m, [&](int, size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) {
        const uint8_t* row = static_cast<const uint8_t*>(table.data) + ids[i] * row_bytes;
        convert_to_f32(table.dtype, row, y + i * d, static_cast<size_t>(d));
      }
    });
  }

  void rmsnorm(const float* x, int64_t m, int64_t d, const float* w, float eps,
               float* y) override {
    pool_.parallel_for(m, [&](int, size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) {
        const float* xr = x + i * d;
        float* yr = y + i * d;
        __m256 acc = _mm256_setzero_ps();
        int64_t j = 0;
        for (; j + 8 <= d; j += 8) {
          __m256 v = _mm256_loadu_ps(xr + j);
          acc = _mm256_fmadd_ps(v, v, acc);
        }
        float ss = cpu::hsum8(acc);
        for (; j < d; ++j) ss += xr[j] * xr[j];
        const float inv = 1.0f / std::sqrt(ss / static_cast<float>(d) + eps);
        for (j = 0; j < d; ++j) yr[j] = w[j] * (xr[j] * inv);
      }
    });
  }

  void rope(float* x, int64_t m, int n_heads, int head_dim, const float* cos,
            const float* sin) override {
    const int half = head_dim / 2;
    pool_.parallel_for(m, [&](int, size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) {
        const float* c = cos + i * half;
        const float* s = sin + i * half;
        for (int h = 0; h < n_heads; ++h) {
          float* v = x + (i * n_heads + h) * head_dim;
          for (int j = 0; j < half; ++j) {
            const float a = v[j], bb = v[j + half];
            v[j] = a * c[j] - bb * s[j];
            v[j + half] = bb * c[j] + a * s[j];
          }
        }
      }
    });
  }

  void attention(const float* q, const float* k, const float* v, int64_t n_q, int64_t n_kv,
                 int n_heads, int n_kv_heads, int head_dim, float* out,
                 const ScoreRequest* scores, int n_scores) override {
    const int group = n_heads / n_kv_heads;
    const int ldq = n_heads * head_dim, ldkv = n_kv_heads * head_dim;
    // In `fast` mode the products run on bf16 copies of K and V, packed once per call (per
    // calling thread: sessions sharing this backend may call concurrently).
    const bool bf16 = bf16_ == cpu::Bf16Kernels::fast;
    thread_local cpu::Bf16Attention packed_here;
    cpu::Bf16Attention& packed = packed_here;  // the caller's, also inside the pool's threads
    if (bf16) packed.pack(pool_, k, v, n_kv, n_kv_heads, head_dim);
    // Per-thread accumulators for the score requests, reduced after the parallel loop.
    std::vector<std::vector<float>> acc;
    if (n_scores > 0) {
      acc.resize(static_cast<size_t>(pool_.size()) * n_scores);
      for (auto& a : acc) a.assign(static_cast<size_t>(n_heads * n_kv), 0.0f);
    }
    attend(n_q, n_kv, n_heads, [&](int tid, int h, int64_t r0, int64_t nr, std::vector<float>& s) {
      const int kvh = h / group;
      const int64_t width = n_kv;
      s.resize(static_cast<size_t>(nr * width));
      if (bf16)
        packed.scores(q + r0 * ldq + h * head_dim, ldq, nr, kvh, 1.0f / std::sqrt(float(head_dim)), s.data(), width);
      else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(nr),
                    static_cast<int>(n_kv), head_dim, 1.0f / std::sqrt(float(head_dim)),
                    q + r0 * ldq + h * head_dim, ldq, k + kvh * head_dim, ldkv, 0.0f, s.data(),
                    static_cast<int>(width));
      float inv_sum[kAttentionRows];
      for (int64_t r = 0; r < nr; ++r) inv_sum[r] = 1.0f / exp_row(s.data() + r * width, width);
      for (int i = 0; i < n_scores; ++i) {
        float* a = acc[static_cast<size_t>(tid) * n_scores + i].data() + h * n_kv;
        const int64_t lo = std::max(r0, scores[i].row_begin), hi = std::min(r0 + nr, scores[i].row_end);
        for (int64_t r = lo; r < hi; ++r) {
          const float* row = s.data() + (r - r0) * width;
          const float w = inv_sum[r - r0];
          for (int64_t j = 0; j < n_kv; ++j) a[j] += row[j] * w;
        }
      }
      float* o = out + r0 * ldq + h * head_dim;
      if (bf16)
        packed.weighted_values(s.data(), width, nr, kvh, o, ldq);
      else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(nr), head_dim,
                    static_cast<int>(n_kv), 1.0f, s.data(), static_cast<int>(width),
                    v + kvh * head_dim, ldkv, 0.0f, o, ldq);
      scale_rows(o, nr, ldq, head_dim, inv_sum);
    });
    for (int i = 0; i < n_scores; ++i)
      for (int t = 0; t < pool_.size(); ++t) {
        const auto& a = acc[static_cast<size_t>(t) * n_scores + i];
        for (size_t j = 0; j < a.size(); ++j) scores[i].out[j] += a[j];
      }
  }

  void attention_ragged(const float* q, int64_t n_q, const float* prompt_k, const float* prompt_v,
                        const int64_t* prompt_offsets, const float* resp_k, const float* resp_v,
                        int64_t n_resp, int n_heads, int n_kv_heads, int head_dim,
                        float* out) override {
    const int group = n_heads / n_kv_heads;
    const int ldq = n_heads * head_dim, ldkv = n_kv_heads * head_dim;
    const float scale = 1.0f / std::sqrt(float(head_dim));
    attend(n_q, prompt_offsets[n_kv_heads] / n_kv_heads + n_resp, n_heads,
           [&](int, int h, int64_t r0, int64_t nr, std::vector<float>& s) {
      const int kvh = h / group;
      const int64_t np = prompt_offsets[kvh + 1] - prompt_offsets[kvh];
      const int64_t width = np + n_resp;
      s.resize(static_cast<size_t>(nr * width));
      const float* qh = q + r0 * ldq + h * head_dim;
      const float* pk = prompt_k + prompt_offsets[kvh] * head_dim;
      const float* pv = prompt_v + prompt_offsets[kvh] * head_dim;
      if (np > 0)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(nr),
                    static_cast<int>(np), head_dim, scale, qh, ldq, pk, head_dim, 0.0f, s.data(),
                    static_cast<int>(width));
      if (n_resp > 0)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(nr),
                    static_cast<int>(n_resp), head_dim, scale, qh, ldq, resp_k + kvh * head_dim,
                    ldkv, 0.0f, s.data() + np, static_cast<int>(width));
      float inv_sum[kAttentionRows];
      for (int64_t r = 0; r < nr; ++r) inv_sum[r] = 1.0f / exp_row(s.data() + r * width, width);
      float* o = out + r0 * ldq + h * head_dim;
      float beta = 0.0f;
      if (np > 0) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(nr), head_dim,
                    static_cast<int>(np), 1.0f, s.data(), static_cast<int>(width), pv, head_dim,
                    0.0f, o, ldq);
        beta = 1.0f;
      }
      if (n_resp > 0)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(nr), head_dim,
                    static_cast<int>(n_resp), 1.0f, s.data() + np, static_cast<int>(width),
                    resp_v + kvh * head_dim, ldkv, beta, o, ldq);
      scale_rows(o, nr, ldq, head_dim, inv_sum);
    });
  }

  void swiglu(const float* gate, const float* up, int64_t n, float* out) override {
    pool_.parallel_for((n + 4095) / 4096, [&](int, size_t b, size_t e) {
      const int64_t i0 = static_cast<int64_t>(b) * 4096;
      const int64_t i1 = std::min<int64_t>(n, static_cast<int64_t>(e) * 4096);
      int64_t i = i0;
      const __m256 one = _mm256_set1_ps(1.0f);
      for (; i + 8 <= i1; i += 8) {
        __m256 g = _mm256_loadu_ps(gate + i);
        __m256 sig = _mm256_div_ps(one, _mm256_add_ps(one, cpu::exp8(_mm256_sub_ps(_mm256_setzero_ps(), g))));
        _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_mul_ps(g, sig), _mm256_loadu_ps(up + i)));
      }
      for (; i < i1; ++i) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
    });
  }

  void add(float* x, const float* y, int64_t n) override {
    pool_.parallel_for((n + 8191) / 8192, [&](int, size_t b, size_t e) {
      const int64_t i1 = std::min<int64_t>(n, static_cast<int64_t>(e) * 8192);
      for (int64_t i = static_cast<int64_t>(b) * 8192; i < i1; ++i) x[i] += y[i];
    });
  }

 private:
  // Runs body(thread, head, first_row, rows, scratch) over every (head, chunk of query rows).
  template <class Body>
  void attend(int64_t n_q, int64_t keys, int n_heads, Body&& body) {
    const int64_t rows = std::clamp<int64_t>(kScoreBlockFloats / std::max<int64_t>(keys, 1), 16, kAttentionRows);
    const int64_t chunks = (n_q + rows - 1) / rows;
    pool_.parallel_for(static_cast<size_t>(chunks * n_heads), [&](int tid, size_t b, size_t e) {
      for (size_t task = b; task < e; ++task) {
        const int h = static_cast<int>(task % n_heads);
        const int64_t r0 = static_cast<int64_t>(task / n_heads) * rows;
        body(tid, h, r0, std::min(rows, n_q - r0), scratch_[tid]);
      }
    });
  }

  static void scale_rows(float* o, int64_t rows, int64_t ld, int cols, const float* factor) {
    for (int64_t r = 0; r < rows; ++r)
      for (int t = 0; t < cols; ++t) o[r * ld + t] *= factor[r];
  }

  // s[j] = exp(s[j] - max(s)) in place; returns the sum.
  static float exp_row(float* s, int64_t n) {
    __m256 mx = _mm256_set1_ps(-INFINITY);
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) mx = _mm256_max_ps(mx, _mm256_loadu_ps(s + j));
    float m = cpu::hmax8(mx);
    for (; j < n; ++j) m = std::max(m, s[j]);
    const __m256 vm = _mm256_set1_ps(m);
    __m256 acc = _mm256_setzero_ps();
    for (j = 0; j + 8 <= n; j += 8) {
      __m256 ev = cpu::exp8(_mm256_sub_ps(_mm256_loadu_ps(s + j), vm));
      _mm256_storeu_ps(s + j, ev);
      acc = _mm256_add_ps(acc, ev);
    }
    float sum = cpu::hsum8(acc);
    for (; j < n; ++j) {
      s[j] = std::exp(s[j] - m);
      sum += s[j];
    }
    return sum;
  }

  // Per-thread scratch, grown on demand. Each pool thread index owns one buffer; parallel_for
  // is serialised by the pool, so a buffer is never used by two tasks at once.
  std::vector<float>& scratch(int tid, int64_t n) {
    auto& buf = scratch_[tid];
    if (static_cast<int64_t>(buf.size()) < n) buf.resize(static_cast<size_t>(n));
    return buf;
  }

  ThreadPool pool_;
  std::vector<std::vector<float>> scratch_;
  const cpu::Bf16Kernels bf16_;
  std::atomic<uint64_t> in_use_{0}, peak_{0};
};

}  // namespace

void check_thread_count(int n_threads) {
  if (n_threads < 0 || n_threads > kMaxThreads)
    fail(Code::invalid_argument, "n_threads = " + std::to_string(n_threads) + " is outside [0, " +
                                     std::to_string(kMaxThreads) + "]");
}

std::unique_ptr<Backend> make_cpu_backend(int n_threads) {
  check_thread_count(n_threads);
  return std::make_unique<CpuBackend>(n_threads);
}

}  // namespace maskkv
