// What a cached generation keeps between denoising steps, per layer: the kept prompt K/V,
// ragged per KV head (one flat buffer with per-head offsets), and the response features of
// dLLM-Cache (K, V, attention output, FFN output).
#pragma once

#include <cstdint>
#include <vector>

namespace maskkv {

struct PromptKV {
  std::vector<float> k, v;                  // [sum of kept, d]: head 0's rows, then head 1's, ...
  std::vector<int64_t> offsets;             // [H_kv + 1]
  std::vector<std::vector<int32_t>> kept;   // ascending original positions per head

  // Keeps, for each KV head h, the rows kept[h] of k_full / v_full ([n, H_kv * d] layout).
  void assign(const float* k_full, const float* v_full, int n_kv_heads, int head_dim,
              std::vector<std::vector<int32_t>> kept_positions);
  // Keeps the first n_prompt rows for every head.
  void assign_all(const float* k_full, const float* v_full, int n_kv_heads, int head_dim,
                  int64_t n_prompt);
  int64_t pairs() const { return offsets.empty() ? 0 : offsets.back(); }
  uint64_t bytes() const { return (k.size() + v.size()) * sizeof(float); }
};

struct ResponseFeatures {
  std::vector<float> k, v;      // [L, H_kv * d], RoPE applied to k
  std::vector<float> attn, ffn; // [L, D]
  uint64_t kv_bytes() const { return (k.size() + v.size()) * sizeof(float); }
};

}  // namespace maskkv
