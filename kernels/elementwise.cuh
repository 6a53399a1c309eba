// Element-wise and row-wise kernels: embedding gather, RMSNorm, RoPE, SwiGLU, residual and bias
// adds, row gather/scatter and conversion from f32. Each is templated on its element type and
// computes in f32; every loop is grid-stride, so any grid size covers the data. The launchers
// (grid sizes, dtype dispatch, error checks) are lib/backend/cuda/launch_elementwise.cu.
#pragma once

#include <cstdint>

#include "convert.cuh"

namespace maskkv::kernels {

// y[i, :] = f32(table[ids[i], :]), table [*, d]. One block per row.
template <class T>
__global__ void embed_kernel(const int32_t* ids, int64_t m, const T* table, int64_t d, float* y) {
  for (int64_t i = blockIdx.x; i < m; i += gridDim.x) {
    const int64_t row = static_cast<int64_t>(ids[i]) * d;
    for (int64_t j = threadIdx.x; j < d; j += blockDim.x) y[i * d + j] = to_f32(table[row + j]);
  }
}

// y = x * rsqrt(mean(x^2) + eps) * w per row of d; one block of kThreads per row, the sum of
// squares in f32 as the CPU backend does.
template <int kThreads, class T>
__global__ void rmsnorm_kernel(const T* x, int64_t m, int64_t d, const T* w, float eps, T* y) {
  static_assert(kThreads % 32 == 0, "whole warps");
  __shared__ float partial[kThreads / 32];
  for (int64_t i = blockIdx.x; i < m; i += gridDim.x) {
    const T* xr = x + i * d;
    float ss = 0.0f;
    for (int64_t j = threadIdx.x; j < d; j += blockDim.x) {
      const float v = to_f32(xr[j]);
      ss += v * v;
    }
    for (int o = 16; o > 0; o >>= 1) ss += __shfl_xor_sync(0xffffffffu, ss, o);
    if (threadIdx.x % 32 == 0) partial[threadIdx.x / 32] = ss;
    __syncthreads();
    float total = 0.0f;
    for (int t = 0; t < kThreads / 32; ++t) total += partial[t];
    const float inv = 1.0f / sqrtf(total / static_cast<float>(d) + eps);
    for (int64_t j = threadIdx.x; j < d; j += blockDim.x)
      y[i * d + j] = from_f32<T>(to_f32(w[j]) * (to_f32(xr[j]) * inv));
    __syncthreads();  // partial[] is reused by the next row
  }
}

// Rotate-half RoPE in place on x [m, n_heads, head_dim], cos/sin [m, head_dim/2].
template <class T>
__global__ void rope_kernel(T* x, int64_t m, int n_heads, int head_dim, const float* cos, const float* sin) {
  const int half = head_dim / 2;
  const int64_t total = m * n_heads * half;
  for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < total; t += int64_t(gridDim.x) * blockDim.x) {
    const int j = static_cast<int>(t % half);
    const int64_t rh = t / half;  // row * n_heads + head
    const int64_t i = rh / n_heads;
    T* v = x + rh * head_dim;
    const float c = cos[i * half + j], s = sin[i * half + j];
    const float a = to_f32(v[j]), b = to_f32(v[j + half]);
    v[j] = from_f32<T>(a * c - b * s);
    v[j + half] = from_f32<T>(b * c + a * s);
  }
}

// out = silu(gate) * up.
template <class T>
__global__ void swiglu_kernel(const T* gate, const T* up, int64_t n, T* out) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const float g = to_f32(gate[i]);
    out[i] = from_f32<T>(g * (1.0f / (1.0f + expf(-g))) * to_f32(up[i]));
  }
}

// x += y.
template <class T>
__global__ void add_kernel(T* x, const T* y, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    x[i] = from_f32<T>(to_f32(x[i]) + to_f32(y[i]));
}

// y[i, j] += bias[j] for a row-major [m, n] y.
template <class T>
__global__ void add_bias_kernel(T* y, const T* bias, int64_t m, int64_t n) {
  const int64_t total = m * n;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x)
    y[i] = from_f32<T>(to_f32(y[i]) + to_f32(bias[i % n]));
}

// dst[r, :] = src[offsets[r] ..+ width); one block per row.
template <class T>
__global__ void gather_kernel(const T* src, const int64_t* offsets, int64_t m, int64_t width, T* dst) {
  for (int64_t r = blockIdx.x; r < m; r += gridDim.x) {
    const T* s = src + offsets[r];
    for (int64_t j = threadIdx.x; j < width; j += blockDim.x) dst[r * width + j] = s[j];
  }
}

// dst[offsets[r] ..+ width) = src[r, :], the inverse of gather; one block per row.
template <class T>
__global__ void scatter_kernel(const T* src, const int64_t* offsets, int64_t m, int64_t width, T* dst) {
  for (int64_t r = blockIdx.x; r < m; r += gridDim.x) {
    T* d = dst + offsets[r];
    for (int64_t j = threadIdx.x; j < width; j += blockDim.x) d[j] = src[r * width + j];
  }
}

// dst = src rounded to T.
template <class T>
__global__ void convert_kernel(const float* src, int64_t n, T* dst) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    dst[i] = from_f32<T>(src[i]);
}

}  // namespace maskkv::kernels
