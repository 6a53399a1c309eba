// Compiles every kernel of kernels/ with nothing but kernels/ and the CUDA toolkit on the
// include path, instantiated for each element type the kernels are templated on, so that a
// kernel reaching into lib/ (or failing to compile for an element type) breaks the build.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "attention.cuh"
#include "elementwise.cuh"
#include "softmax.cuh"

namespace maskkv::kernels {

#define MASKKV_INSTANTIATE(T)                                                                           \
  template __global__ void embed_kernel<T>(const int32_t*, int64_t, const T*, int64_t, float*);         \
  template __global__ void rmsnorm_kernel<256, T>(const T*, int64_t, int64_t, const T*, float, T*);     \
  template __global__ void rope_kernel<T>(T*, int64_t, int, int, const float*, const float*);           \
  template __global__ void swiglu_kernel<T>(const T*, const T*, int64_t, T*);                           \
  template __global__ void add_kernel<T>(T*, const T*, int64_t);                                        \
  template __global__ void add_bias_kernel<T>(T*, const T*, int64_t, int64_t);                          \
  template __global__ void gather_kernel<T>(const T*, const int64_t*, int64_t, int64_t, T*);            \
  template __global__ void scatter_kernel<T>(const T*, const int64_t*, int64_t, int64_t, T*);           \
  template __global__ void convert_kernel<T>(const float*, int64_t, T*);                                \
  template __global__ void flash_kernel<T>(AttentionArgsT<T>, float);                                   \
  template __global__ void column_sums_kernel<T>(AttentionArgsT<T>, float, int64_t, int64_t, float*);   \
  template __global__ void softmax_kernel<T>(float*, int64_t, int64_t, T*, bool);                       \
  template __global__ void add_column_sums_kernel<T>(const T*, int64_t, int64_t, int64_t, int64_t, float*);

MASKKV_INSTANTIATE(float)
MASKKV_INSTANTIATE(__nv_bfloat16)
MASKKV_INSTANTIATE(__half)

}  // namespace maskkv::kernels
