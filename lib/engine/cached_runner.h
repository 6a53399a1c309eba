// Model evaluation for the caching policies: dLLM-Cache across denoising steps (prompt and
// response refresh intervals, adaptive partial updates), with the prompt K/V evicted at the
// prefill by MaskKV or a baseline (docs/eviction.md). It decides, call by call, which rows the
// model's one forward pass computes and what is kept; the model computes (model/transformer.h).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "cache/kv_store.h"
#include "eviction/planner.h"
#include "eviction/policy.h"
#include "model/model.h"

namespace maskkv {

struct CacheStats {
  int64_t kv_pairs_kept = 0;   // prompt K/V pairs kept, summed over layers and KV heads
  uint64_t kv_bytes = 0;       // K/V bytes held now (prompt + response)
  uint64_t kv_bytes_peak = 0;  // the most ever held, transient full-layer K/V included
  double prefill_seconds = 0;
  int full_passes = 0, response_passes = 0, partial_passes = 0;
};

class CachedRunner {
 public:
  CachedRunner(std::shared_ptr<const Model> model, const CacheOptions& options, int64_t n_prompt,
               int64_t n_response, double rope_scaling);

  // Logits [rows.size(), vocab] for sequence rows (the caller has applied Dream's shift; a row
  // is a response position or the last prompt position).
  std::vector<float> logits(const std::vector<int32_t>& x, const std::vector<int64_t>& rows);

  const CacheStats& stats() const { return stats_; }
  const std::vector<PromptKV>& prompt_kv() const { return prompt_; }

 private:
  class PrefillObserver;
  class StepMemory;
  std::vector<float> full_pass(const std::vector<int32_t>& x, const std::vector<int64_t>& rows);
  std::vector<float> response_pass(const std::vector<int32_t>& x, const std::vector<int64_t>& rows,
                                   bool partial);
  void account();

  std::shared_ptr<const Model> model_;
  CacheOptions options_;
  EvictionPlanner planner_;
  int64_t n_prompt_, n_response_;
  double rope_theta_;
  int prompt_refresh_, response_refresh_;
  int calls_ = 0;
  std::vector<PromptKV> prompt_;
  std::vector<ResponseFeatures> response_;
  Buf<float> last_prompt_final_;  // residual of the last prompt token after the last layer
  CacheStats stats_;
};

}  // namespace maskkv
