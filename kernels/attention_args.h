// The arguments of the attention kernels (attention.cuh), in a header without CUDA syntax so
// that host code compiled by a plain C++ compiler can fill them. Every pointer is device memory.
#pragma once

#include <cstdint>

namespace maskkv::kernels {

// Attention of n_q queries (row i of head h at q + i*ldq + h*head_dim, ldq = n_heads*head_dim)
// over the keys of their KV head g = h / (n_heads / n_kv_heads): first the ragged prompt
// segment (rows prompt_offsets[g] .. prompt_offsets[g+1] of [*, head_dim] prompt_k / prompt_v;
// prompt_offsets may be null for none), then the dense segment (n_dense rows of k / v with row
// stride n_kv_heads*head_dim, head g at column g*head_dim). out row i head h at
// out + i*ldq + h*head_dim. When row_max / row_sum are given ([n_heads, n_q]), the softmax
// statistics of every row are written there (for the column sums).
template <class T>
struct AttentionArgsT {
  const T* q = nullptr;
  int64_t n_q = 0;
  int n_heads = 0, n_kv_heads = 0, head_dim = 0;
  const T* prompt_k = nullptr;
  const T* prompt_v = nullptr;
  const int64_t* prompt_offsets = nullptr;
  const T* k = nullptr;
  const T* v = nullptr;
  int64_t n_dense = 0;
  T* out = nullptr;
  float* row_max = nullptr;
  float* row_sum = nullptr;
};
using AttentionArgs = AttentionArgsT<float>;

// The largest head dimension the attention kernels hold in registers and shared memory.
constexpr int kMaxHeadDim = 128;

}  // namespace maskkv::kernels
