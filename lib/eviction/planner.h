// Which prompt positions each KV head of a layer keeps, given the prefill's evidence and the
// policy (docs/eviction.md). Pure functions of scores and budgets: no model, no buffers.
#pragma once

#include <cstdint>
#include <vector>

#include "eviction/policy.h"
#include "eviction/scores.h"

namespace maskkv {

using KeptPositions = std::vector<std::vector<int32_t>>;  // [KV head] -> ascending positions

// What the prefill measured for one layer.
struct LayerEvidence {
  HeadScores mask_votes;               // maskkv: [H_kv][n_prompt]
  HeadScores window_scores;            // SnapKV family: pooled prefix scores [H_kv][n_p - w]
  std::vector<double> head_preference; // maskkv: P_{l,h}
  double importance = 0;               // 1 - mean cos(h_in, h_out)
};

class EvictionPlanner {
 public:
  // Validates the options against the prompt (throws Error naming the option).
  EvictionPlanner(const CacheOptions& options, int n_layers, int n_kv_heads, int64_t n_prompt);

  // True when nothing needs evicting (budget >= prompt length).
  bool keeps_everything() const { return keep_all_; }
  // True when a layer's selection needs every layer's evidence first (online maskkv,
  // squeezeattention); false when each layer is evicted right after its attention.
  bool deferred() const { return deferred_; }
  bool needs_mask_scores() const { return options_.policy == Policy::maskkv; }
  bool needs_window_scores() const;
  // The SnapKV observation window actually used (0 for maskkv).
  int64_t window() const { return window_; }

  // Layer-by-layer selection (deferred() == false).
  KeptPositions select_layer(int layer, const LayerEvidence& evidence) const;
  // Whole-model selection (deferred() == true).
  std::vector<KeptPositions> select_all(const std::vector<LayerEvidence>& evidence) const;

 private:
  KeptPositions snap_select(const LayerEvidence& e, const std::vector<int64_t>& prefix_budget) const;
  KeptPositions vote_select(const LayerEvidence& e, const std::vector<int64_t>& budget) const;

  CacheOptions options_;
  int n_layers_, n_kv_heads_;
  int64_t n_prompt_;
  bool keep_all_ = false, deferred_ = false;
  int64_t window_ = 0;
  std::vector<int64_t> pyramid_;                      // pyramidkv prefix budgets per layer
  std::vector<std::vector<int64_t>> maskkv_offline_;  // maskkv budgets from the profile
};

}  // namespace maskkv
