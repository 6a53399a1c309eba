// Launchers of the CUDA kernels (kernels/ at the top of the repository): argument checks, dtype
// dispatch, grid sizes and launch error checks (cuda_check.h). Every pointer is device memory;
// every launch goes on `stream`. CPU references: backend/cpu/cpu_backend.cpp, compared in
// tests/unit/test_backend_cuda.cpp.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "core/dtype.h"
#include "kernels/attention_args.h"

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

// Flash-style attention (kernels/attention_args.h says what the arguments hold): keys in tiles,
// online softmax in f32, nothing quadratic in memory. head_dim up to kMaxHeadDim.
using AttentionArgs = kernels::AttentionArgs;
using kernels::kMaxHeadDim;
void attention(const AttentionArgs& args, cudaStream_t stream);

// out[h * n_kv + j] = sum over query rows i in [row_begin, row_end) of the softmax probability
// A_h[i, j] of the dense attention above (recomputed from q, k and the row statistics; no
// prompt segment). One thread per key column: deterministic, no atomics.
void column_sums(const AttentionArgs& args, int64_t row_begin, int64_t row_end, float* out,
                 cudaStream_t stream);

// Row softmax of a row-major [rows, n] f32 score block: p = exp(s - max) / sum, written as bf16
// to probs (for the tensor-core P x V product) and, when normalized_f32 is set, back into
// scores in f32 (for column sums). Rows of n == 0 are left alone.
void softmax_rows(float* scores, int64_t rows, int64_t n, void* probs_bf16, bool normalized_f32,
                  cudaStream_t stream);
// out[h * n + j] += sum over rows r in [r0, r1) of probs[h][r][j], probs [H, rows, n] f32.
void add_column_sums(const float* probs, int n_heads, int64_t rows, int64_t n, int64_t r0, int64_t r1,
                     float* out, cudaStream_t stream);

}  // namespace maskkv::cuda
