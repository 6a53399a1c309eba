// Element-wise and row-wise kernels: embedding gather, RMSNorm, RoPE, SwiGLU, residual and bias
// adds, row gather/scatter and f32 -> bf16/f16 conversion.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/kernels/kernels.h"

namespace maskkv::cuda {

namespace {

constexpr int kThreads = 256;

unsigned blocks_for(int64_t n, int threads = kThreads) {
  const int64_t b = (n + threads - 1) / threads;
  return static_cast<unsigned>(b < 65535 * 16 ? b : 65535 * 16);
}

__device__ float load_as_f32(const void* p, DType dtype, int64_t i) {
  switch (dtype) {
    case DType::bf16: return __bfloat162float(static_cast<const __nv_bfloat16*>(p)[i]);
    case DType::f16: return __half2float(static_cast<const __half*>(p)[i]);
    default: return static_cast<const float*>(p)[i];
  }
}

__global__ void embed_kernel(const int32_t* ids, int64_t m, const void* table, DType dtype, int64_t d, float* y) {
  for (int64_t i = blockIdx.x; i < m; i += gridDim.x) {
    const int64_t row = static_cast<int64_t>(ids[i]) * d;
    for (int64_t j = threadIdx.x; j < d; j += blockDim.x) y[i * d + j] = load_as_f32(table, dtype, row + j);
  }
}

// One block per row: sum of squares in f32, as the CPU backend does.
__global__ void rmsnorm_kernel(const float* x, int64_t m, int64_t d, const float* w, float eps, float* y) {
  __shared__ float partial[kThreads / 32];
  for (int64_t i = blockIdx.x; i < m; i += gridDim.x) {
    const float* xr = x + i * d;
    float ss = 0.0f;
    for (int64_t j = threadIdx.x; j < d; j += blockDim.x) ss += xr[j] * xr[j];
    for (int o = 16; o > 0; o >>= 1) ss += __shfl_xor_sync(0xffffffffu, ss, o);
    if (threadIdx.x % 32 == 0) partial[threadIdx.x / 32] = ss;
    __syncthreads();
    float total = 0.0f;
    for (int t = 0; t < kThreads / 32; ++t) total += partial[t];
    const float inv = 1.0f / sqrtf(total / static_cast<float>(d) + eps);
    for (int64_t j = threadIdx.x; j < d; j += blockDim.x) y[i * d + j] = w[j] * (xr[j] * inv);
    __syncthreads();  // partial[] is reused by the next row
  }
}

__global__ void rope_kernel(float* x, int64_t m, int n_heads, int head_dim, const float* cos, const float* sin) {
  const int half = head_dim / 2;
  const int64_t total = m * n_heads * half;
  for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < total; t += int64_t(gridDim.x) * blockDim.x) {
    const int j = static_cast<int>(t % half);
    const int64_t rh = t / half;  // row * n_heads + head
    const int64_t i = rh / n_heads;
    float* v = x + rh * head_dim;
    const float c = cos[i * half + j], s = sin[i * half + j];
    const float a = v[j], b = v[j + half];
    v[j] = a * c - b * s;
    v[j + half] = b * c + a * s;
  }
}

__global__ void swiglu_kernel(const float* gate, const float* up, int64_t n, float* out) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const float g = gate[i];
    out[i] = g * (1.0f / (1.0f + expf(-g))) * up[i];
  }
}

__global__ void add_kernel(float* x, const float* y, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    x[i] += y[i];
}

__global__ void add_bias_kernel(float* y, const float* bias, int64_t m, int64_t n) {
  const int64_t total = m * n;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x)
    y[i] += bias[i % n];
}

__global__ void gather_kernel(const float* src, const int64_t* offsets, int64_t m, int64_t width, float* dst) {
  for (int64_t r = blockIdx.x; r < m; r += gridDim.x) {
    const float* s = src + offsets[r];
    for (int64_t j = threadIdx.x; j < width; j += blockDim.x) dst[r * width + j] = s[j];
  }
}

__global__ void scatter_kernel(const float* src, const int64_t* offsets, int64_t m, int64_t width, float* dst) {
  for (int64_t r = blockIdx.x; r < m; r += gridDim.x) {
    float* d = dst + offsets[r];
    for (int64_t j = threadIdx.x; j < width; j += blockDim.x) d[j] = src[r * width + j];
  }
}

template <class T>
__global__ void convert_kernel(const float* src, int64_t n, T* dst) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    if constexpr (sizeof(T) == 2 && std::is_same_v<T, __half>)
      dst[i] = __float2half_rn(src[i]);
    else
      dst[i] = __float2bfloat16_rn(src[i]);
  }
}

unsigned row_blocks(int64_t m) { return static_cast<unsigned>(m < 65535 * 16 ? m : 65535 * 16); }

}  // namespace

void embed(const int32_t* ids, int64_t m, const void* table, DType dtype, int64_t d, float* y, cudaStream_t s) {
  if (m == 0) return;
  embed_kernel<<<row_blocks(m), kThreads, 0, s>>>(ids, m, table, dtype, d, y);
  check_launch("embed");
}

void rmsnorm(const float* x, int64_t m, int64_t d, const float* w, float eps, float* y, cudaStream_t s) {
  if (m == 0) return;
  rmsnorm_kernel<<<row_blocks(m), kThreads, 0, s>>>(x, m, d, w, eps, y);
  check_launch("rmsnorm");
}

void rope(float* x, int64_t m, int n_heads, int head_dim, const float* cos, const float* sin, cudaStream_t s) {
  const int64_t total = m * n_heads * (head_dim / 2);
  if (total == 0) return;
  rope_kernel<<<blocks_for(total), kThreads, 0, s>>>(x, m, n_heads, head_dim, cos, sin);
  check_launch("rope");
}

void swiglu(const float* gate, const float* up, int64_t n, float* out, cudaStream_t s) {
  if (n == 0) return;
  swiglu_kernel<<<blocks_for(n), kThreads, 0, s>>>(gate, up, n, out);
  check_launch("swiglu");
}

void add(float* x, const float* y, int64_t n, cudaStream_t s) {
  if (n == 0) return;
  add_kernel<<<blocks_for(n), kThreads, 0, s>>>(x, y, n);
  check_launch("add");
}

void add_bias(float* y, const float* bias, int64_t m, int64_t n, cudaStream_t s) {
  if (m * n == 0) return;
  add_bias_kernel<<<blocks_for(m * n), kThreads, 0, s>>>(y, bias, m, n);
  check_launch("add_bias");
}

void gather(const float* src, const int64_t* offsets, int64_t m, int64_t width, float* dst, cudaStream_t s) {
  if (m == 0 || width == 0) return;
  gather_kernel<<<row_blocks(m), 128, 0, s>>>(src, offsets, m, width, dst);
  check_launch("gather");
}

void scatter(const float* src, const int64_t* offsets, int64_t m, int64_t width, float* dst, cudaStream_t s) {
  if (m == 0 || width == 0) return;
  scatter_kernel<<<row_blocks(m), 128, 0, s>>>(src, offsets, m, width, dst);
  check_launch("scatter");
}

void convert_from_f32(const float* src, int64_t n, DType dtype, void* dst, cudaStream_t s) {
  if (n == 0) return;
  if (dtype == DType::f16)
    convert_kernel<__half><<<blocks_for(n), kThreads, 0, s>>>(src, n, static_cast<__half*>(dst));
  else
    convert_kernel<__nv_bfloat16><<<blocks_for(n), kThreads, 0, s>>>(src, n, static_cast<__nv_bfloat16*>(dst));
  check_launch("convert_from_f32");
}

}  // namespace maskkv::cuda
