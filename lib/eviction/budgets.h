// How many prompt K/V pairs each layer and KV head keeps (docs/eviction.md, "Budgets").
#pragma once

#include <cstdint>
#include <vector>

#include "eviction/scores.h"

namespace maskkv {

// The SnapKV-family window for a prompt of n_prompt tokens under budget B: min(window, n_prompt,
// B).
int64_t snap_window(int window, int64_t n_prompt, int64_t budget);

// PyramidKV prefix budgets per layer (window excluded), with mean exactly B - w.
std::vector<int64_t> pyramid_prefix_budgets(int n_layers, int64_t budget, int64_t window,
                                            int64_t n_prompt, int beta = 20);

// AdaKV prefix budgets per KV head of one layer from its SnapKV scores (window excluded).
std::vector<int64_t> adakv_prefix_budgets(const HeadScores& scores, int64_t budget,
                                          int64_t window, double floor_fraction = 0.2);

// k-means with 3 clusters on scalars (docs/eviction.md): cluster index per value, 0 being the
// cluster of lowest centroid.
std::vector<int> kmeans3(const std::vector<double>& values);

// SqueezeAttention per-layer budgets (window included) from per-layer scores 1 - cos.
std::vector<int64_t> squeeze_budgets(const std::vector<double>& layer_scores, int64_t budget,
                                     int64_t n_prompt, double low_fraction = 0.4);

// MaskKV per-(layer, KV head) budgets k_{l,h} from layer importance I [D] and head prompt
// preference P [D][H_kv].
std::vector<std::vector<int64_t>> maskkv_budgets(const std::vector<double>& layer_importance,
                                                 const std::vector<std::vector<double>>& preference,
                                                 int64_t budget, double alpha, double beta);

}  // namespace maskkv
