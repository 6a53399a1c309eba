// What a cached generation keeps between denoising steps, per layer: the kept prompt K/V,
// ragged per KV head (one flat buffer with per-head offsets), and the response features of
// dLLM-Cache (K, V, attention output, FFN output). Tensors live in the backend's memory.
#pragma once

#include <cstdint>
#include <vector>

#include "backend/backend.h"

namespace maskkv {

struct PromptKV {
  Buf<float> k, v;                          // [sum of kept, d]: head 0's rows, then head 1's, ...
  std::vector<int64_t> offsets;             // [H_kv + 1], host
  std::vector<std::vector<int32_t>> kept;   // ascending original positions per head, host

  // Keeps, for each KV head h, the rows kept[h] of k_full / v_full ([n, H_kv * d] layout,
  // backend memory), compacted on the backend.
  void assign(Backend& be, const float* k_full, const float* v_full, int n_kv_heads, int head_dim,
              std::vector<std::vector<int32_t>> kept_positions);
  // Keeps the first n_prompt rows for every head.
  void assign_all(Backend& be, const float* k_full, const float* v_full, int n_kv_heads, int head_dim,
                  int64_t n_prompt);
  int64_t pairs() const { return offsets.empty() ? 0 : offsets.back(); }
  uint64_t bytes() const { return k.bytes() + v.bytes(); }
};

// Rows [begin, begin + n) of a row-major [*, width] matrix in backend memory, copied into a new
// buffer (what a cache keeps of a pass's tensors).
Buf<float> copy_rows(Backend& be, const float* m, int64_t begin, int64_t n, int64_t width);

struct ResponseFeatures {
  Buf<float> k, v;      // [L, H_kv * d], RoPE applied to k
  Buf<float> attn, ffn; // [L, D]
  uint64_t kv_bytes() const { return k.bytes() + v.bytes(); }
};

}  // namespace maskkv
