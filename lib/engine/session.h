// One generation: the denoising loop over a prompt followed by gen_length masks. Pull-style:
// the caller runs step() until it reports done and reads the state in between.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/cached_runner.h"
#include "engine/generate_options.h"
#include "model/model.h"
#include "sampling/sampler.h"

namespace maskkv {

struct SessionStats {
  int steps = 0;
  int forward_passes = 0;
  int masks_left = 0;
  int last_committed = 0;
  double seconds = 0;
  uint64_t peak_rss_bytes = 0;
  int64_t kv_pairs_kept = 0;   // prompt K/V pairs kept, over layers and KV heads
  uint64_t kv_bytes_peak = 0;  // most K/V bytes held at once (transient full-layer K/V included)
  double prefill_seconds = 0;  // the first forward pass
  uint64_t gpu_peak_bytes = 0; // device memory peak of the model's backend (0 on the CPU)
};

class Session {
 public:
  // Validates the prompt ids and options (throws Error naming what is wrong).
  Session(std::shared_ptr<const Model> model, const std::vector<int32_t>& prompt,
          const GenerateOptions& options);

  // One denoising step; returns true once every response position is committed.
  // Throws Error(cancelled) after cancel().
  bool step();
  bool done() const;
  void cancel() { cancelled_.store(true); }

  // The gen_length response ids (masked positions hold the mask id).
  std::vector<int32_t> response() const;
  SessionStats stats() const;
  const GenerateOptions& options() const { return options_; }
  // The caching runner (null under policy none): kept prompt positions, cache statistics.
  const CachedRunner* runner() const { return runner_.get(); }

 private:
  std::vector<float> evaluate(const std::vector<int64_t>& positions);

  std::shared_ptr<const Model> model_;
  GenerateOptions options_;
  int64_t prompt_length_;
  std::vector<int32_t> x_;
  std::unique_ptr<Sampler> sampler_;
  std::unique_ptr<CachedRunner> runner_;  // null under policy none
  Rng rng_;
  SessionStats stats_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace maskkv
