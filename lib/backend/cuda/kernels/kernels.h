// Launchers of the CUDA kernels (kernels/*.cu). Every pointer is device memory unless named
// host; every launch goes on `stream` and is checked for launch errors by the caller
// (cuda_check.h). CPU references: backend/cpu/cpu_backend.cpp, compared in
// tests/unit/test_backend_cuda.cpp.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "core/dtype.h"

namespace maskkv::cuda {

// y[i, :] = f32(table[ids[i], :]), table [*, d] in dtype.
void embed(const int32_t* ids, int64_t m, const void* table, DType dtype, int64_t d, float* y,
           cudaStream_t stream);
// y = x * rsqrt(mean(x^2) + eps) * w, per row of d.
void rmsnorm(const float* x, int64_t m, int64_t d, const float* w, float eps, float* y,
             cudaStream_t stream);
// Rotate-half RoPE in place, cos/sin [m, head_dim/2].
void rope(float* x, int64_t m, int n_heads, int head_dim, const float* cos, const float* sin,
          cudaStream_t stream);
void swiglu(const float* gate, const float* up, int64_t n, float* out, cudaStream_t stream);
void add(float* x, const float* y, int64_t n, cudaStream_t stream);
// y[i, j] += bias[j] for a row-major [m, n] y.
void add_bias(float* y, const float* bias, int64_t m, int64_t n, cudaStream_t stream);
// dst[r, :] = src[offsets[r] ..+ width) and its inverse; offsets in device memory.
void gather(const float* src, const int64_t* offsets, int64_t m, int64_t width, float* dst,
            cudaStream_t stream);
void scatter(const float* src, const int64_t* offsets, int64_t m, int64_t width, float* dst,
             cudaStream_t stream);
// dst = src rounded to bf16 or f16 (round to nearest even), n values.
void convert_from_f32(const float* src, int64_t n, DType dtype, void* dst, cudaStream_t stream);

// Attention of n_q queries (row i of head h at q + i*ldq + h*head_dim) over the keys of their
// KV head g = h / (n_heads / n_kv_heads): first the ragged prompt segment (rows
// prompt_offsets[g] .. prompt_offsets[g+1] of [*, head_dim] prompt_k / prompt_v; prompt_offsets
// may be null for none), then the dense segment (n_dense rows of k / v with row stride ld_kv,
// head g at column g*head_dim). Flash-style: keys in tiles, online softmax in f32, nothing
// quadratic in memory. out row i head h at out + i*ldq + h*head_dim. When row_max / row_sum are
// given ([n_heads, n_q]), the softmax statistics of every row are written there (for
// column_sums).
struct AttentionArgs {
  const float* q = nullptr;
  int64_t n_q = 0;
  int n_heads = 0, n_kv_heads = 0, head_dim = 0;
  const float* prompt_k = nullptr;
  const float* prompt_v = nullptr;
  const int64_t* prompt_offsets = nullptr;
  const float* k = nullptr;
  const float* v = nullptr;
  int64_t n_dense = 0;
  float* out = nullptr;
  float* row_max = nullptr;
  float* row_sum = nullptr;
};
constexpr int kMaxHeadDim = 128;
void attention(const AttentionArgs& args, cudaStream_t stream);

// out[h * n_kv + j] = sum over query rows i in [row_begin, row_end) of the softmax probability
// A_h[i, j] of the dense attention above (recomputed from q, k and the row statistics; no
// prompt segment). One thread per key column: deterministic, no atomics.
void column_sums(const AttentionArgs& args, int64_t row_begin, int64_t row_end, float* out,
                 cudaStream_t stream);

}  // namespace maskkv::cuda

namespace maskkv::cuda {

// Row softmax of a row-major [rows, n] f32 score block: p = exp(s - max) / sum, written as bf16
// to probs (for the tensor-core P x V product) and, when normalized_f32 is set, back into
// scores in f32 (for column sums). Rows of n == 0 are left alone.
void softmax_rows(float* scores, int64_t rows, int64_t n, void* probs_bf16, bool normalized_f32,
                  cudaStream_t stream);
// out[h * n + j] += sum over rows r in [r0, r1) of probs[h][r][j], probs [H, rows, n] f32.
void add_column_sums(const float* probs, int n_heads, int64_t rows, int64_t n, int64_t r0, int64_t r1,
                     float* out, cudaStream_t stream);

}  // namespace maskkv::cuda
