#include "eviction/planner.h"

#include <algorithm>

#include "core/error.h"
#include "eviction/budgets.h"

namespace maskkv {

EvictionPlanner::EvictionPlanner(const CacheOptions& o, int n_layers, int n_kv_heads, int64_t n_prompt)
    : options_(o), n_layers_(n_layers), n_kv_heads_(n_kv_heads), n_prompt_(n_prompt) {
  const Policy p = o.policy;
  keep_all_ = !evicts(p) || o.budget >= n_prompt;
  if (p == Policy::maskkv && !o.online && !o.profile)
    fail(Code::invalid_argument,
         "policy maskkv needs a profile (measured by calibration) or online budgets (the online option)");
  if (p == Policy::maskkv && o.profile &&
      (o.profile->n_layers != n_layers || o.profile->n_kv_heads != n_kv_heads))
    fail(Code::invalid_argument, "the profile has " + std::to_string(o.profile->n_layers) + " layers x " +
                                     std::to_string(o.profile->n_kv_heads) + " KV heads, the model " +
                                     std::to_string(n_layers) + " x " + std::to_string(n_kv_heads));
  if (keep_all_) return;
  if (needs_window_scores()) {
    if (o.window > n_prompt)
      fail(Code::invalid_argument, "window " + std::to_string(o.window) + " is larger than the prompt (" +
                                       std::to_string(n_prompt) + " tokens)");
    // SqueezeAttention's per-layer budgets can exceed B, so its window is clipped per layer
    // (select_all) rather than by B here.
    window_ = p == Policy::squeezeattention ? std::min<int64_t>(o.window, n_prompt)
                                            : snap_window(o.window, n_prompt, o.budget);
  }
  deferred_ = p == Policy::squeezeattention || (p == Policy::maskkv && o.online);
  if (p == Policy::pyramidkv) pyramid_ = pyramid_prefix_budgets(n_layers, o.budget, window_, n_prompt);
  if (p == Policy::maskkv && !o.online)
    maskkv_offline_ = maskkv_budgets(o.profile->layer_importance, o.profile->head_prompt_preference,
                                     o.budget, o.alpha, o.beta);
}

bool EvictionPlanner::needs_window_scores() const {
  const Policy p = options_.policy;
  return p == Policy::snapkv || p == Policy::pyramidkv || p == Policy::adakv || p == Policy::squeezeattention;
}

KeptPositions EvictionPlanner::snap_select(const LayerEvidence& e, const std::vector<int64_t>& prefix_budget) const {
  KeptPositions kept(n_kv_heads_);
  for (int h = 0; h < n_kv_heads_; ++h) {
    kept[h] = top_k_positions(e.window_scores[h], std::max<int64_t>(0, prefix_budget[h]));
    for (int64_t j = n_prompt_ - window_; j < n_prompt_; ++j) kept[h].push_back(static_cast<int32_t>(j));
  }
  return kept;
}

KeptPositions EvictionPlanner::vote_select(const LayerEvidence& e, const std::vector<int64_t>& budget) const {
  KeptPositions kept(n_kv_heads_);
  for (int h = 0; h < n_kv_heads_; ++h) kept[h] = top_k_positions(e.mask_votes[h], budget[h]);
  return kept;
}

KeptPositions EvictionPlanner::select_layer(int layer, const LayerEvidence& e) const {
  const int64_t b = options_.budget - window_;
  switch (options_.policy) {
    case Policy::snapkv:
      return snap_select(e, std::vector<int64_t>(n_kv_heads_, b));
    case Policy::pyramidkv:
      return snap_select(e, std::vector<int64_t>(n_kv_heads_, pyramid_[layer]));
    case Policy::adakv:
      return snap_select(e, adakv_prefix_budgets(e.window_scores, options_.budget, window_));
    case Policy::maskkv:
      return vote_select(e, maskkv_offline_[layer]);
    default:
      fail(Code::internal, "select_layer called for a policy that evicts after the prefill");
  }
}

std::vector<KeptPositions> EvictionPlanner::select_all(const std::vector<LayerEvidence>& e) const {
  std::vector<KeptPositions> out(n_layers_);
  if (options_.policy == Policy::squeezeattention) {
    std::vector<double> scores(n_layers_);
    for (int l = 0; l < n_layers_; ++l) scores[l] = e[l].importance;
    std::vector<int64_t> budgets = squeeze_budgets(scores, options_.budget, n_prompt_);
    for (int l = 0; l < n_layers_; ++l) {
      // A layer whose budget is below the window keeps its last budget[l] prompt tokens.
      const int64_t w = std::min(window_, budgets[l]);
      KeptPositions kept(n_kv_heads_);
      for (int h = 0; h < n_kv_heads_; ++h) {
        kept[h] = top_k_positions(e[l].window_scores[h], budgets[l] - w);
        for (int64_t j = n_prompt_ - w; j < n_prompt_; ++j) kept[h].push_back(static_cast<int32_t>(j));
      }
      out[l] = std::move(kept);
    }
    return out;
  }
  // Online MaskKV: the profile's statistics, measured on this prompt.
  std::vector<double> importance(n_layers_);
  std::vector<std::vector<double>> preference(n_layers_);
  for (int l = 0; l < n_layers_; ++l) {
    importance[l] = e[l].importance;
    preference[l] = e[l].head_preference;
  }
  auto budgets = maskkv_budgets(importance, preference, options_.budget, options_.alpha, options_.beta);
  for (int l = 0; l < n_layers_; ++l) out[l] = vote_select(e[l], budgets[l]);
  return out;
}

}  // namespace maskkv
