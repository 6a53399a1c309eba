// The CPU backend's bf16 GEMMs on AVX512-BF16 (see cpu_features.h for when they run and how they
// round): blocking and threading here, register kernels in bf16_gemm_avx512.cpp.
#pragma once

#include <cstdint>
#include <vector>

#include "core/thread_pool.h"

namespace maskkv::cpu {

// y[m][n] = x[m][k] * w[n][k]^T (+ bias[n]) for bf16 weights w read in place. With
// round_activations, x is rounded to bf16 and the products run on vdpbf16ps; without, they run
// in f32 (the weights widened exactly), as precise as the portable path.
void bf16_linear(ThreadPool& pool, const float* x, int64_t m, const uint16_t* w, int64_t n,
                 int64_t k, const float* bias, bool round_activations, float* y);

// Attention products with operands rounded to bf16, for one call of Backend::attention: the
// K and V of every KV head are packed once (pack), then each task of the caller computes its
// score and output blocks. AMX tiles where the CPU has them and head_dim % 32 == 0, else
// vdpbf16ps.
class Bf16Attention {
 public:
  // k and v: n_kv rows of n_kv_heads * head_dim floats.
  void pack(ThreadPool& pool, const float* k, const float* v, int64_t n_kv, int n_kv_heads,
            int head_dim);

  // s[r][j] = scale * q_r . k_j for the rows q + r * ldq (r < rows) of head kv_head's keys; s has
  // row stride width >= n_kv.
  void scores(const float* q, int64_t ldq, int64_t rows, int kv_head, float scale, float* s,
              int64_t width) const;

  // out[r][t] = sum_j p[r][j] v_j[t] with v_j head kv_head's values; p has row stride width.
  void weighted_values(const float* p, int64_t width, int64_t rows, int kv_head, float* out,
                       int64_t ldo) const;

 private:
  bool amx_ = false;
  // keys_ = n_kv rounded up to 32 (AMX) or 2; k_ld_, v_ld_: column strides of the vdpbf16ps
  // operands; k_head_, v_head_: words per head.
  int64_t n_kv_ = 0, keys_ = 0, head_dim_ = 0, k_ld_ = 0, v_ld_ = 0, k_head_ = 0, v_head_ = 0;
  std::vector<uint32_t> k_, v_;
};

}  // namespace maskkv::cpu
