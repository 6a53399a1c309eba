// Per-token importance scores of the prompt, per layer and KV head (docs/eviction.md).
#pragma once

#include <cstdint>
#include <vector>

namespace maskkv {

// A [heads][tokens] score table.
using HeadScores = std::vector<std::vector<float>>;

// Mask voting: col [H, n_cols] holds column sums of attention probabilities over the mask
// rows; returns, per KV head, the group average over its g query heads of columns [0, n_prompt).
HeadScores mask_voting_scores(const float* col, int n_heads, int n_kv_heads, int64_t n_cols,
                              int64_t n_prompt);

// SnapKV: col [H, n_cols] holds column sums over the window rows. Per query head the prefix
// columns [0, prefix) are pooled along the sequence (kernel k, stride 1; max pooling, or
// average pooling counting the zero padding), then averaged over each KV head's group.
HeadScores snapkv_scores(const float* col, int n_heads, int n_kv_heads, int64_t n_cols,
                         int64_t prefix, int kernel, bool avg_pool);

// MaskKV head prompt preference of one layer: P_h = M_p / (M_p + M_r), where M_p sums the
// group's mask-row column sums over prompt columns and M_r over response columns.
std::vector<double> head_prompt_preference(const float* col, int n_heads, int n_kv_heads,
                                           int64_t n_cols, int64_t n_prompt);

// Layer importance 1 - mean_i cos(h_in_i, h_in_i + attn_out_i) over n rows of width d.
double layer_importance(const float* h_in, const float* attn_out, int64_t n, int64_t d);

// Indices of the k highest scores (ties: lower index), returned in ascending order.
std::vector<int32_t> top_k_positions(const std::vector<float>& scores, int64_t k);

}  // namespace maskkv
