// The operations a forward pass needs. The transformer (model/) calls only these; cpu/ (threads +
// BLAS) implements them and cuda/ will too. Activations are f32 row-major [rows, features];
// weights stay in their file dtype behind a WeightView. Pointers passed to an operation address
// memory the same backend owns (host memory for the CPU backend).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/dtype.h"

namespace maskkv {

// A row-major matrix [rows, cols] in its storage dtype (a Linear weight is [out, in]).
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

  // y[m, n] = x[m, k] W^T (+ bias[n]), W = w [n, k].
  virtual void linear(const float* x, int64_t m, const WeightView& w, const float* bias,
                      float* y) = 0;
  // y[i, :] = table[ids[i], :] (ids already validated).
  virtual void embed(const int32_t* ids, int64_t m, const WeightView& table, float* y) = 0;
  // y = x * rsqrt(mean(x^2) + eps) * w per row of d features.
  virtual void rmsnorm(const float* x, int64_t m, int64_t d, const float* w, float eps,
                       float* y) = 0;
  // Rotate-half RoPE in place on x [m, n_heads * head_dim] with per-row tables
  // cos/sin [m, head_dim / 2].
  virtual void rope(float* x, int64_t m, int n_heads, int head_dim, const float* cos,
                    const float* sin) = 0;
  // Bidirectional attention: out[n_q, H*d] = softmax(q k^T / sqrt(d)) v per head; q [n_q, H*d],
  // k/v [n_kv, Hkv*d]; query head h reads KV head h / (H / Hkv). Each score request receives
  // the column sums, over its query rows, of the softmax probabilities of every query head
  // (out[h * n_kv + j] += sum_{i in rows} A_h[i, j]) without the matrix being materialised.
  struct ScoreRequest {
    int64_t row_begin = 0, row_end = 0;  // query rows summed over
    float* out = nullptr;                // [H, n_kv], accumulated into
  };
  virtual void attention(const float* q, const float* k, const float* v, int64_t n_q,
                         int64_t n_kv, int n_heads, int n_kv_heads, int head_dim, float* out,
                         const ScoreRequest* scores = nullptr, int n_scores = 0) = 0;
  // Attention of n_q queries over [ragged prompt K/V of their KV head] + [response K/V]:
  // prompt keys of KV head h are rows prompt_offsets[h] .. prompt_offsets[h+1] of the [*, d]
  // matrices prompt_k / prompt_v (RoPE already applied); response k/v are [n_resp, Hkv*d].
  virtual void attention_ragged(const float* q, int64_t n_q, const float* prompt_k,
                                const float* prompt_v, const int64_t* prompt_offsets,
                                const float* resp_k, const float* resp_v, int64_t n_resp,
                                int n_heads, int n_kv_heads, int head_dim, float* out) = 0;
  // out[i] = silu(gate[i]) * up[i].
  virtual void swiglu(const float* gate, const float* up, int64_t n, float* out) = 0;
  // x[i] += y[i].
  virtual void add(float* x, const float* y, int64_t n) = 0;
};

// The CPU backend with n_threads worker threads (0 = one per core).
std::unique_ptr<Backend> make_cpu_backend(int n_threads);

}  // namespace maskkv
