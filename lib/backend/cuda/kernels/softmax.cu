// Row softmax and column sums for the tensor-core attention path (cuda_attention_tc.cpp): the
// score block of a chunk of queries is materialised by cuBLAS, normalised here, and multiplied
// by V by cuBLAS again.
#include <cuda_bf16.h>

#include <cmath>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/kernels/kernels.h"

namespace maskkv::cuda {

namespace {

constexpr int kThreads = 256;

__device__ float block_reduce(float v, bool is_max, float* shared) {
  for (int o = 16; o > 0; o >>= 1) {
    const float other = __shfl_xor_sync(0xffffffffu, v, o);
    v = is_max ? fmaxf(v, other) : v + other;
  }
  if (threadIdx.x % 32 == 0) shared[threadIdx.x / 32] = v;
  __syncthreads();
  float r = is_max ? -INFINITY : 0.0f;
  for (int w = 0; w < kThreads / 32; ++w) r = is_max ? fmaxf(r, shared[w]) : r + shared[w];
  __syncthreads();
  return r;
}

__global__ void __launch_bounds__(kThreads)
    softmax_kernel(float* s, int64_t rows, int64_t n, __nv_bfloat16* p, bool write_f32) {
  __shared__ float shared[kThreads / 32];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    float* row = s + r * n;
    float m = -INFINITY;
    for (int64_t j = threadIdx.x; j < n; j += kThreads) m = fmaxf(m, row[j]);
    m = block_reduce(m, true, shared);
    float sum = 0.0f;
    for (int64_t j = threadIdx.x; j < n; j += kThreads) sum += expf(row[j] - m);
    sum = block_reduce(sum, false, shared);
    const float inv = 1.0f / sum;
    __nv_bfloat16* prow = p + r * n;
    for (int64_t j = threadIdx.x; j < n; j += kThreads) {
      const float v = expf(row[j] - m) * inv;
      prow[j] = __float2bfloat16_rn(v);
      if (write_f32) row[j] = v;
    }
  }
}

__global__ void column_sums_kernel(const float* probs, int n_heads, int64_t rows, int64_t n, int64_t r0, int64_t r1,
                                   float* out) {
  const int h = blockIdx.y;
  const int64_t j = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (j >= n) return;
  const float* base = probs + int64_t(h) * rows * n;
  float total = 0.0f;
  for (int64_t r = r0; r < r1; ++r) total += base[r * n + j];
  out[int64_t(h) * n + j] += total;
}

}  // namespace

void softmax_rows(float* scores, int64_t rows, int64_t n, void* probs_bf16, bool normalized_f32, cudaStream_t stream) {
  if (rows == 0 || n == 0) return;
  const unsigned blocks = static_cast<unsigned>(rows < 65535 * 16 ? rows : 65535 * 16);
  softmax_kernel<<<blocks, kThreads, 0, stream>>>(scores, rows, n, static_cast<__nv_bfloat16*>(probs_bf16),
                                                   normalized_f32);
  check_launch("softmax rows");
}

void add_column_sums(const float* probs, int n_heads, int64_t rows, int64_t n, int64_t r0, int64_t r1, float* out,
                     cudaStream_t stream) {
  if (r1 <= r0 || n == 0) return;
  const dim3 grid(static_cast<unsigned>((n + 255) / 256), static_cast<unsigned>(n_heads));
  column_sums_kernel<<<grid, 256, 0, stream>>>(probs, n_heads, rows, n, r0, r1, out);
  check_launch("column sums (tensor-core path)");
}

}  // namespace maskkv::cuda
