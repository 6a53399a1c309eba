#include "engine/session.h"

#include <chrono>
#include <cmath>
#include <string>

#include "core/error.h"
#include "core/memory.h"

namespace maskkv {

Session::Session(std::shared_ptr<const Model> model, const std::vector<int32_t>& prompt,
                 const GenerateOptions& options)
    : model_(std::move(model)), prompt_length_(static_cast<int64_t>(prompt.size())), rng_(options.seed) {
  const ModelSpec& spec = model_->spec();
  for (size_t i = 0; i < prompt.size(); ++i) {
    if (prompt[i] < 0 || prompt[i] >= spec.vocab_size)
      fail(Code::out_of_range, "prompt id " + std::to_string(prompt[i]) + " at position " +
                                   std::to_string(i) + " is outside the vocabulary [0, " +
                                   std::to_string(spec.vocab_size) + ")");
    if (prompt[i] == spec.mask_id)
      fail(Code::invalid_argument, "prompt id at position " + std::to_string(i) + " is the mask id " +
                                       std::to_string(spec.mask_id));
  }
  options_ = resolve_options(options, spec, prompt_length_);
  x_ = prompt;
  x_.resize(prompt.size() + options_.gen_length, spec.mask_id);

  SamplerOptions so;
  static_cast<SamplingRules&>(so) = options_;
  so.prompt_length = static_cast<int>(prompt_length_);
  so.mask_id = spec.mask_id;
  so.eos_id = spec.eos_id;
  so.eot_id = spec.eot_id;
  sampler_ = options_.sampler == SamplerKind::dream ? make_dream_sampler(so) : make_llada_sampler(so);
  stats_.masks_left = options_.gen_length;
  if (options_.cache.policy != Policy::none)
    runner_ = std::make_unique<CachedRunner>(model_, options_.cache, prompt_length_, options_.gen_length,
                                             options_.rope_scaling);
}

std::vector<float> Session::evaluate(const std::vector<int64_t>& positions) {
  const ModelSpec& spec = model_->spec();
  // Dream reads the prediction for position p from the output at p - 1 (position 0: its own).
  std::vector<int64_t> rows(positions);
  if (spec.logit_shift)
    for (auto& r : rows) r = r > 0 ? r - 1 : 0;
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<float> logits = runner_ ? runner_->logits(x_, rows) : model_->logits(x_, rows, options_.rope_scaling);
  if (stats_.forward_passes == 0)
    stats_.prefill_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ++stats_.forward_passes;
  if (options_.cfg_scale > 0) {
    // Classifier-free guidance: the unconditional pass sees the prompt replaced by masks.
    std::vector<int32_t> unconditional(x_);
    std::fill(unconditional.begin(), unconditional.begin() + prompt_length_, spec.mask_id);
    std::vector<float> u = model_->logits(unconditional, rows, options_.rope_scaling);
    ++stats_.forward_passes;
    const float w = static_cast<float>(options_.cfg_scale);
    for (size_t i = 0; i < logits.size(); ++i) logits[i] = u[i] + (w + 1.0f) * (logits[i] - u[i]);
  }
  // NaN or infinite logits mean NaN/Inf weights, or finite weights large enough to overflow
  // (only norms and biases are checked at load, see model/weights.h): fail rather than sample
  // garbage (an all-inf row samples token 0 every time). The sampler's own -inf (EOS
  // suppression) is applied after this check.
  for (size_t i = 0; i < logits.size(); ++i)
    if (!std::isfinite(logits[i]))
      fail(Code::format, "step " + std::to_string(stats_.steps + 1) + ": the forward pass produced " +
                             (std::isnan(logits[i]) ? "NaN" : "infinite") + " logits (row " +
                             std::to_string(i / static_cast<size_t>(spec.vocab_size)) +
                             "); the model's weights hold NaN or Inf values, or values large enough to overflow (" +
                             model_->directory() + ")");
  return logits;
}

bool Session::step() {
  if (done()) return true;
  if (cancelled_.load()) fail(Code::cancelled, "the session was cancelled");
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<int64_t> positions = sampler_->positions(x_);
  std::vector<float> logits;
  if (!positions.empty()) logits = evaluate(positions);
  stats_.last_committed = sampler_->commit(x_, positions, logits, model_->spec().vocab_size, rng_);
  stats_.masks_left -= stats_.last_committed;
  ++stats_.steps;
  stats_.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return done();
}

bool Session::done() const { return sampler_->finished(x_); }

std::vector<int32_t> Session::response() const {
  return std::vector<int32_t>(x_.begin() + prompt_length_, x_.end());
}

SessionStats Session::stats() const {
  SessionStats s = stats_;
  s.peak_rss_bytes = peak_rss_bytes();
  if (!model_->backend().host_memory()) s.gpu_peak_bytes = model_->backend().memory().peak;
  const ModelSpec& spec = model_->spec();
  if (runner_) {
    s.kv_pairs_kept = runner_->stats().kv_pairs_kept;
    s.kv_bytes_peak = runner_->stats().kv_bytes_peak;
  } else {
    // Vanilla keeps nothing between steps; one layer's full K/V exist during a pass.
    const int64_t n = prompt_length_ + options_.gen_length;
    s.kv_pairs_kept = prompt_length_ * spec.n_layers * spec.n_kv_heads;
    s.kv_bytes_peak = stats_.forward_passes > 0
                          ? static_cast<uint64_t>(n) * spec.n_kv_heads * spec.head_dim * 2 * sizeof(float)
                          : 0;
  }
  return s;
}

}  // namespace maskkv
