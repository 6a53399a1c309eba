// Launchers of the attention kernels (kernels/attention.cuh): argument checks, the shared-memory
// opt-in, grid sizes and launch error checks.
#include <cmath>
#include <string>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/launchers.h"
#include "kernels/attention.cuh"

namespace maskkv::cuda {

namespace {

void check_args(const AttentionArgs& a) {
  if (a.head_dim < 1 || a.head_dim > kMaxHeadDim)
    fail(Code::unsupported, "CUDA attention supports head_dim up to " + std::to_string(kMaxHeadDim) + ", got " +
                                std::to_string(a.head_dim));
  if (a.n_kv_heads < 1 || a.n_heads % a.n_kv_heads != 0)
    fail(Code::invalid_argument, "attention heads " + std::to_string(a.n_heads) + " are not a multiple of KV heads " +
                                     std::to_string(a.n_kv_heads));
}

float scale_for(int head_dim) { return 1.0f / sqrtf(static_cast<float>(head_dim)); }

}  // namespace

void attention(const AttentionArgs& a, cudaStream_t stream) {
  check_args(a);
  if (a.n_q == 0) return;
  const size_t smem = kernels::flash_smem_bytes(a.head_dim);
  static const cudaError_t raised =
      cudaFuncSetAttribute(kernels::flash_kernel<float>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                           static_cast<int>(kernels::flash_smem_bytes(kMaxHeadDim)));
  check(raised, "cudaFuncSetAttribute(flash attention shared memory)");
  const dim3 grid(static_cast<unsigned>((a.n_q + kernels::kTileQ - 1) / kernels::kTileQ),
                  static_cast<unsigned>(a.n_heads));
  kernels::flash_kernel<<<grid, kernels::kFlashThreads, smem, stream>>>(a, scale_for(a.head_dim));
  check_launch("flash attention");
}

void column_sums(const AttentionArgs& a, int64_t row_begin, int64_t row_end, float* out, cudaStream_t stream) {
  check_args(a);
  if (a.n_dense == 0 || a.prompt_offsets || !a.row_max)
    fail(Code::internal, "column_sums needs dense keys and the row statistics of the attention pass");
  const dim3 grid(static_cast<unsigned>((a.n_dense + kernels::kColThreads - 1) / kernels::kColThreads),
                  static_cast<unsigned>(a.n_heads));
  kernels::column_sums_kernel<<<grid, kernels::kColThreads, 0, stream>>>(a, scale_for(a.head_dim), row_begin,
                                                                          row_end, out);
  check_launch("attention column sums");
}

}  // namespace maskkv::cuda
