// The operations a forward pass needs. The transformer (model/) calls only these; cpu/ (threads +
// BLAS) and cuda/ (kernels + cuBLAS) implement them. Activations are f32 row-major
// [rows, features]; weights stay in their file dtype behind a WeightView.
//
// Memory: every pointer passed to an operation addresses memory the same backend owns (a Buf,
// or a weight made resident), unless the parameter says "host". The CPU backend's memory is
// ordinary host memory; the CUDA backend's is device memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/dtype.h"

namespace maskkv {

// A row-major matrix [rows, cols] in its storage dtype (a Linear weight is [out, in]); in a
// block dtype (Q8_0, Q4_0) each row is cols / 32 blocks (dtype_row_bytes).
struct WeightView {
  DType dtype = DType::f32;
  const void* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;
  virtual int n_threads() const = 0;

  // ---- Memory ------------------------------------------------------------------------------
  // True when backend memory is ordinary host memory (readable without download()).
  virtual bool host_memory() const = 0;
  // Uninitialised memory; throws Error(out_of_memory) naming the size when none is left.
  virtual void* allocate(size_t bytes) = 0;
  virtual void release(void* p) noexcept = 0;
  virtual void upload(void* dst, const void* host_src, size_t bytes) = 0;
  virtual void download(void* host_dst, const void* src, size_t bytes) = 0;
  virtual void copy(void* dst, const void* src, size_t bytes) = 0;
  // dst[r, 0:width) = src[offsets[r] .. offsets[r] + width) for r < m; offsets (in floats) are a
  // host array. Row gathers, per-head K/V compaction and the like are all this one operation.
  virtual void gather(const float* src, const int64_t* offsets, int64_t m, int64_t width,
                      float* dst) = 0;
  // The inverse: dst[offsets[r] .. offsets[r] + width) = src[r, 0:width).
  virtual void scatter(const float* src, const int64_t* offsets, int64_t m, int64_t width,
                       float* dst) = 0;
  // A backend-resident copy of `bytes` of host data (weights), alive as long as the backend;
  // the same host pointer gives the same copy. The CPU backend returns host itself.
  virtual const void* resident(const void* host, size_t bytes) = 0;
  struct MemoryStats {
    uint64_t in_use = 0;  // bytes allocated now (activations, caches, resident weights)
    uint64_t peak = 0;    // the most ever allocated at once
    uint64_t total = 0;   // the device's memory; 0 for host memory
  };
  virtual MemoryStats memory() const = 0;
  // Starts a new peak from what is allocated now (benchmarks measure one run at a time).
  virtual void reset_peak() = 0;
  // Waits until every operation issued so far has finished (timing; no-op on the CPU).
  virtual void synchronize() = 0;
  // The dtype of the model's weights, set at load: a backend may compute attention in it
  // (CUDA: tensor-core attention for bf16/f16 models; f32 models stay in f32). CPU: no effect.
  virtual void set_compute_dtype(DType) {}
  // True when this backend's kernels read Q8_0/Q4_0 linear weights interleaved by 16 rows
  // (core/quant_interleave.h): the loader then stores them so (CPU with AVX512-VNNI).
  virtual bool interleaved_block_weights() const { return false; }

  // ---- Operations --------------------------------------------------------------------------

  // y[m, n] = x[m, k] W^T (+ bias[n]), W = w [n, k].
  virtual void linear(const float* x, int64_t m, const WeightView& w, const float* bias,
                      float* y) = 0;
  // y[i, :] = table[ids[i], :]; ids is a host array (already validated).
  virtual void embed(const int32_t* ids, int64_t m, const WeightView& table, float* y) = 0;
  // y = x * rsqrt(mean(x^2) + eps) * w per row of d features.
  virtual void rmsnorm(const float* x, int64_t m, int64_t d, const float* w, float eps,
                       float* y) = 0;
  // Rotate-half RoPE in place on x [m, n_heads * head_dim] with per-row tables
  // cos/sin [m, head_dim / 2] (backend memory).
  virtual void rope(float* x, int64_t m, int n_heads, int head_dim, const float* cos,
                    const float* sin) = 0;
  // Bidirectional attention: out[n_q, H*d] = softmax(q k^T / sqrt(d)) v per head; q [n_q, H*d],
  // k/v [n_kv, Hkv*d]; query head h reads KV head h / (H / Hkv). Each score request receives
  // the column sums, over its query rows, of the softmax probabilities of every query head
  // (out[h * n_kv + j] += sum_{i in rows} A_h[i, j]) without the matrix being materialised.
  struct ScoreRequest {
    int64_t row_begin = 0, row_end = 0;  // query rows summed over
    float* out = nullptr;                // host [H, n_kv], accumulated into
  };
  virtual void attention(const float* q, const float* k, const float* v, int64_t n_q,
                         int64_t n_kv, int n_heads, int n_kv_heads, int head_dim, float* out,
                         const ScoreRequest* scores = nullptr, int n_scores = 0) = 0;
  // Attention of n_q queries over [ragged prompt K/V of their KV head] + [response K/V]:
  // prompt keys of KV head h are rows prompt_offsets[h] .. prompt_offsets[h+1] of the [*, d]
  // matrices prompt_k / prompt_v (RoPE already applied); response k/v are [n_resp, Hkv*d].
  // prompt_offsets is a host array [n_kv_heads + 1].
  virtual void attention_ragged(const float* q, int64_t n_q, const float* prompt_k,
                                const float* prompt_v, const int64_t* prompt_offsets,
                                const float* resp_k, const float* resp_v, int64_t n_resp,
                                int n_heads, int n_kv_heads, int head_dim, float* out) = 0;
  // out[i] = silu(gate[i]) * up[i].
  virtual void swiglu(const float* gate, const float* up, int64_t n, float* out) = 0;
  // x[i] += y[i].
  virtual void add(float* x, const float* y, int64_t n) = 0;
};

// An array of n T in a backend's memory, released with it. Move-only.
template <class T>
class Buf {
 public:
  Buf() = default;
  Buf(Backend& be, size_t n)
      : be_(&be), n_(n), p_(n ? static_cast<T*>(be.allocate(n * sizeof(T))) : nullptr) {}
  Buf(Buf&& o) noexcept : be_(o.be_), n_(std::exchange(o.n_, 0)), p_(std::exchange(o.p_, nullptr)) {}
  Buf& operator=(Buf&& o) noexcept {
    if (this != &o) {
      reset();
      be_ = o.be_;
      n_ = std::exchange(o.n_, 0);
      p_ = std::exchange(o.p_, nullptr);
    }
    return *this;
  }
  Buf(const Buf&) = delete;
  Buf& operator=(const Buf&) = delete;
  ~Buf() { reset(); }

  T* data() const { return p_; }
  size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  uint64_t bytes() const { return n_ * sizeof(T); }
  void reset() {
    if (p_) be_->release(p_);
    p_ = nullptr;
    n_ = 0;
  }

 private:
  Backend* be_ = nullptr;
  size_t n_ = 0;
  T* p_ = nullptr;
};

// Host data copied into a new Buf.
template <class T>
Buf<T> to_backend(Backend& be, const std::vector<T>& host) {
  Buf<T> b(be, host.size());
  if (!host.empty()) be.upload(b.data(), host.data(), host.size() * sizeof(T));
  return b;
}

// n values of backend memory copied to the host.
template <class T>
std::vector<T> to_host(Backend& be, const T* src, size_t n) {
  std::vector<T> out(n);
  if (n) be.download(out.data(), src, n * sizeof(T));
  return out;
}

// A host-readable view of n floats of backend memory: the memory itself on a host backend,
// else a downloaded copy.
class HostView {
 public:
  HostView(Backend& be, const float* src, size_t n) {
    if (be.host_memory()) {
      p_ = src;
    } else {
      copy_ = to_host(be, src, n);
      p_ = copy_.data();
    }
  }
  const float* data() const { return p_; }

 private:
  const float* p_ = nullptr;
  std::vector<float> copy_;
};

// Most CPU threads a model may ask for (each is a pool worker with its own stack and scratch).
constexpr int kMaxThreads = 1024;
// Throws Error(invalid_argument) unless 0 <= n_threads <= kMaxThreads.
void check_thread_count(int n_threads);
// The CPU backend with n_threads worker threads (0 = one per core).
std::unique_ptr<Backend> make_cpu_backend(int n_threads);

// CUDA: whether this build has the backend and a device is present (why not, in *why).
bool cuda_available(std::string* why = nullptr);
// The CUDA backend on device `device`; throws Error(unsupported) when cuda_available() is false.
std::unique_ptr<Backend> make_cuda_backend(int device = 0);

}  // namespace maskkv
