// Launchers of the element-wise kernels (kernels/elementwise.cuh): grid sizes, the dtype
// dispatch of the embedding table and conversions, launch error checks.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/launchers.h"
#include "kernels/elementwise.cuh"

namespace maskkv::cuda {

namespace {

constexpr int kThreads = 256;

unsigned blocks_for(int64_t n, int threads = kThreads) {
  const int64_t b = (n + threads - 1) / threads;
  return static_cast<unsigned>(b < kernels::kMaxBlocks ? b : kernels::kMaxBlocks);
}

unsigned row_blocks(int64_t m) { return static_cast<unsigned>(m < kernels::kMaxBlocks ? m : kernels::kMaxBlocks); }

}  // namespace

void embed(const int32_t* ids, int64_t m, const void* table, DType dtype, int64_t d, float* y, cudaStream_t s) {
  if (m == 0) return;
  switch (dtype) {
    case DType::bf16:
      kernels::embed_kernel<<<row_blocks(m), kThreads, 0, s>>>(ids, m, static_cast<const __nv_bfloat16*>(table), d, y);
      break;
    case DType::f16:
      kernels::embed_kernel<<<row_blocks(m), kThreads, 0, s>>>(ids, m, static_cast<const __half*>(table), d, y);
      break;
    case DType::f32:
      kernels::embed_kernel<<<row_blocks(m), kThreads, 0, s>>>(ids, m, static_cast<const float*>(table), d, y);
      break;
    default:
      fail(Code::unsupported, std::string("CUDA embedding of a ") + dtype_name(dtype) + " table");
  }
  check_launch("embed");
}

void rmsnorm(const float* x, int64_t m, int64_t d, const float* w, float eps, float* y, cudaStream_t s) {
  if (m == 0) return;
  kernels::rmsnorm_kernel<kThreads><<<row_blocks(m), kThreads, 0, s>>>(x, m, d, w, eps, y);
  check_launch("rmsnorm");
}

void rope(float* x, int64_t m, int n_heads, int head_dim, const float* cos, const float* sin, cudaStream_t s) {
  const int64_t total = m * n_heads * (head_dim / 2);
  if (total == 0) return;
  kernels::rope_kernel<<<blocks_for(total), kThreads, 0, s>>>(x, m, n_heads, head_dim, cos, sin);
  check_launch("rope");
}

void swiglu(const float* gate, const float* up, int64_t n, float* out, cudaStream_t s) {
  if (n == 0) return;
  kernels::swiglu_kernel<<<blocks_for(n), kThreads, 0, s>>>(gate, up, n, out);
  check_launch("swiglu");
}

void add(float* x, const float* y, int64_t n, cudaStream_t s) {
  if (n == 0) return;
  kernels::add_kernel<<<blocks_for(n), kThreads, 0, s>>>(x, y, n);
  check_launch("add");
}

void add_bias(float* y, const float* bias, int64_t m, int64_t n, cudaStream_t s) {
  if (m * n == 0) return;
  kernels::add_bias_kernel<<<blocks_for(m * n), kThreads, 0, s>>>(y, bias, m, n);
  check_launch("add_bias");
}

void gather(const float* src, const int64_t* offsets, int64_t m, int64_t width, float* dst, cudaStream_t s) {
  if (m == 0 || width == 0) return;
  kernels::gather_kernel<<<row_blocks(m), 128, 0, s>>>(src, offsets, m, width, dst);
  check_launch("gather");
}

void scatter(const float* src, const int64_t* offsets, int64_t m, int64_t width, float* dst, cudaStream_t s) {
  if (m == 0 || width == 0) return;
  kernels::scatter_kernel<<<row_blocks(m), 128, 0, s>>>(src, offsets, m, width, dst);
  check_launch("scatter");
}

void convert_from_f32(const float* src, int64_t n, DType dtype, void* dst, cudaStream_t s) {
  if (n == 0) return;
  switch (dtype) {
    case DType::f16:
      kernels::convert_kernel<<<blocks_for(n), kThreads, 0, s>>>(src, n, static_cast<__half*>(dst));
      break;
    case DType::bf16:
      kernels::convert_kernel<<<blocks_for(n), kThreads, 0, s>>>(src, n, static_cast<__nv_bfloat16*>(dst));
      break;
    default:
      fail(Code::internal, std::string("convert_from_f32 to ") + dtype_name(dtype) + ": only bf16 and f16");
  }
  check_launch("convert_from_f32");
}

}  // namespace maskkv::cuda
