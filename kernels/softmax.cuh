// Row softmax and column sums for the tensor-core attention path: the score block of a chunk of
// queries is materialised by cuBLAS, normalised here, and multiplied by V by cuBLAS again. The
// launchers are lib/backend/cuda/launch_softmax.cu.
#pragma once

#include <cmath>
#include <cstdint>

#include "convert.cuh"

namespace maskkv::kernels {

constexpr int kSoftmaxThreads = 256;

// The max (is_max) or the sum of v over the block; every thread gets the result.
__device__ __forceinline__ float block_reduce(float v, bool is_max, float* shared) {
  for (int o = 16; o > 0; o >>= 1) {
    const float other = __shfl_xor_sync(0xffffffffu, v, o);
    v = is_max ? fmaxf(v, other) : v + other;
  }
  if (threadIdx.x % 32 == 0) shared[threadIdx.x / 32] = v;
  __syncthreads();
  float r = is_max ? -INFINITY : 0.0f;
  for (int w = 0; w < kSoftmaxThreads / 32; ++w) r = is_max ? fmaxf(r, shared[w]) : r + shared[w];
  __syncthreads();
  return r;
}

// p = exp(s - max) / sum per row of n f32 scores, stored as P (the element type of the P x V
// product) and, when write_f32, back into s. One block of kSoftmaxThreads per row.
template <class P>
__global__ void __launch_bounds__(kSoftmaxThreads)
    softmax_kernel(float* s, int64_t rows, int64_t n, P* p, bool write_f32) {
  __shared__ float shared[kSoftmaxThreads / 32];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    float* row = s + r * n;
    float m = -INFINITY;
    for (int64_t j = threadIdx.x; j < n; j += kSoftmaxThreads) m = fmaxf(m, row[j]);
    m = block_reduce(m, true, shared);
    float sum = 0.0f;
    for (int64_t j = threadIdx.x; j < n; j += kSoftmaxThreads) sum += expf(row[j] - m);
    sum = block_reduce(sum, false, shared);
    const float inv = 1.0f / sum;
    P* prow = p + r * n;
    for (int64_t j = threadIdx.x; j < n; j += kSoftmaxThreads) {
      const float v = expf(row[j] - m) * inv;
      prow[j] = from_f32<P>(v);
      if (write_f32) row[j] = v;
    }
  }
}

// out[h * n + j] += sum over rows r in [r0, r1) of probs[h][r][j], probs [n_heads, rows, n];
// blockIdx.y is the head, one thread per column.
template <class T>
__global__ void add_column_sums_kernel(const T* probs, int64_t rows, int64_t n, int64_t r0, int64_t r1, float* out) {
  const int h = blockIdx.y;
  const int64_t j = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (j >= n) return;
  const T* base = probs + int64_t(h) * rows * n;
  float total = 0.0f;
  for (int64_t r = r0; r < r1; ++r) total += to_f32(base[r * n + j]);
  out[int64_t(h) * n + j] += total;
}

}  // namespace maskkv::kernels
