// Launchers of the softmax and column-sum kernels of the tensor-core attention path
// (kernels/softmax.cuh).
#include <cuda_bf16.h>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/launchers.h"
#include "kernels/softmax.cuh"

namespace maskkv::cuda {

void softmax_rows(float* scores, int64_t rows, int64_t n, void* probs_bf16, bool normalized_f32, cudaStream_t stream) {
  if (rows == 0 || n == 0) return;
  const unsigned blocks = static_cast<unsigned>(rows < kernels::kMaxBlocks ? rows : kernels::kMaxBlocks);
  kernels::softmax_kernel<<<blocks, kernels::kSoftmaxThreads, 0, stream>>>(
      scores, rows, n, static_cast<__nv_bfloat16*>(probs_bf16), normalized_f32);
  check_launch("softmax rows");
}

void add_column_sums(const float* probs, int n_heads, int64_t rows, int64_t n, int64_t r0, int64_t r1, float* out,
                     cudaStream_t stream) {
  if (r1 <= r0 || n == 0) return;
  const dim3 grid(static_cast<unsigned>((n + 255) / 256), static_cast<unsigned>(n_heads));
  kernels::add_column_sums_kernel<<<grid, 256, 0, stream>>>(probs, rows, n, r0, r1, out);
  check_launch("column sums (tensor-core path)");
}

}  // namespace maskkv::cuda
