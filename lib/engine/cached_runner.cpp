#include "engine/cached_runner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "core/error.h"
#include "model/transformer.h"

namespace maskkv {

namespace {

constexpr double kUnchangedCosine = 1e-8;

// Positions of the m response tokens whose new V is least similar (cosine) to the cached V
// (both host-readable).
std::vector<int64_t> least_similar(const float* v_new, const float* v_old, int64_t n, int64_t width, int64_t m) {
  std::vector<double> sim(n);
  for (int64_t i = 0; i < n; ++i) {
    double dot = 0, a2 = 0, b2 = 0;
    for (int64_t t = 0; t < width; ++t) {
      const double a = v_new[i * width + t], b = v_old[i * width + t];
      dot += a * b;
      a2 += a * a;
      b2 += b * b;
    }
    sim[i] = dot / std::max(std::sqrt(a2) * std::sqrt(b2), 1e-12);
    // A V unchanged up to f32 rounding (a token nothing upstream changed) has cosine 1: the
    // rounding residue must not rank such tokens, or two backends (or two GEMM shapes) would
    // choose among them differently. They tie, and ties go to the lower position.
    if (sim[i] > 1.0 - kUnchangedCosine) sim[i] = 1.0;
  }
  std::vector<int64_t> idx(n);
  std::iota(idx.begin(), idx.end(), int64_t{0});
  std::stable_sort(idx.begin(), idx.end(), [&](int64_t a, int64_t b) { return sim[a] < sim[b]; });
  idx.resize(m);
  std::sort(idx.begin(), idx.end());
  return idx;
}

}  // namespace

// Fills the caches during a full pass and, on the prefill, gathers the evidence for eviction
// and evicts (layer by layer, or after the last layer for the deferred policies).
class CachedRunner::PrefillObserver final : public ForwardObserver {
 public:
  PrefillObserver(CachedRunner& r, bool prefill) : r_(r), prefill_(prefill && !r.planner_.keeps_everything()) {
    const ModelSpec& s = r.model_->spec();
    n_ = r.n_prompt_ + r.n_response_;
    if (prefill_ && r.planner_.deferred()) {
      evidence_.resize(s.n_layers);
      full_k_.resize(s.n_layers);
      full_v_.resize(s.n_layers);
    }
  }

  std::vector<Backend::ScoreRequest> score_requests(int) override {
    std::vector<Backend::ScoreRequest> req;
    if (!prefill_) return req;
    const int H = r_.model_->spec().n_heads;
    if (r_.planner_.needs_mask_scores()) {
      mask_col_.assign(static_cast<size_t>(H * n_), 0.0f);
      req.push_back({r_.n_prompt_, n_, mask_col_.data()});
    }
    if (r_.planner_.needs_window_scores()) {
      window_col_.assign(static_cast<size_t>(H * n_), 0.0f);
      req.push_back({r_.n_prompt_ - r_.planner_.window(), r_.n_prompt_, window_col_.data()});
    }
    return req;
  }

  void on_attention(int l, const float* h_in, const float* attn_out, const float* k, const float* v) override {
    const ModelSpec& s = r_.model_->spec();
    Backend& be = r_.model_->backend();
    const int64_t dkv = int64_t(s.n_kv_heads) * s.head_dim, np = r_.n_prompt_, L = r_.n_response_;
    ResponseFeatures& rf = r_.response_[l];
    rf.k = copy_rows(be, k, np, L, dkv);
    rf.v = copy_rows(be, v, np, L, dkv);
    rf.attn = copy_rows(be, attn_out, np, L, s.d_model);
    // The full K/V of this layer exist now, beside everything stored so far.
    const uint64_t full_kv = static_cast<uint64_t>(n_ * dkv) * 2 * sizeof(float);
    r_.stats_.kv_bytes_peak = std::max(r_.stats_.kv_bytes_peak, stored_ + full_kv);
    stored_ += rf.kv_bytes();
    if (!prefill_) {
      r_.prompt_[l].assign_all(be, k, v, s.n_kv_heads, s.head_dim, np);
      stored_ += r_.prompt_[l].bytes();
      return;
    }
    LayerEvidence e;
    if (r_.planner_.needs_mask_scores()) {
      e.mask_votes = mask_voting_scores(mask_col_.data(), s.n_heads, s.n_kv_heads, n_, np);
      e.head_preference = head_prompt_preference(mask_col_.data(), s.n_heads, s.n_kv_heads, n_, np);
    }
    if (r_.planner_.needs_window_scores())
      e.window_scores = snapkv_scores(window_col_.data(), s.n_heads, s.n_kv_heads, n_,
                                      np - r_.planner_.window(), r_.options_.pool_kernel, r_.options_.avg_pool);
    if (r_.planner_.deferred()) {
      const size_t size = static_cast<size_t>(n_ * s.d_model);
      e.importance = layer_importance(HostView(be, h_in, size).data(), HostView(be, attn_out, size).data(), n_,
                                      s.d_model);
      evidence_[l] = std::move(e);
      full_k_[l] = copy_rows(be, k, 0, np, dkv);
      full_v_[l] = copy_rows(be, v, 0, np, dkv);
      stored_ += full_k_[l].bytes() + full_v_[l].bytes();
    } else {
      // Evict now: layer l's full K/V never coexist with another layer's.
      r_.prompt_[l].assign(be, k, v, s.n_kv_heads, s.head_dim, r_.planner_.select_layer(l, e));
      stored_ += r_.prompt_[l].bytes();
    }
  }

  void on_ffn(int l, const float* ffn_out) override {
    r_.response_[l].ffn = copy_rows(r_.model_->backend(), ffn_out, r_.n_prompt_, r_.n_response_, r_.model_->spec().d_model);
  }

  void on_final(const float* x) override {
    const int64_t d = r_.model_->spec().d_model;
    if (r_.n_prompt_ > 0) r_.last_prompt_final_ = copy_rows(r_.model_->backend(), x, r_.n_prompt_ - 1, 1, d);
  }

  // For the deferred policies: select with every layer's evidence and compact.
  void finish() {
    if (!prefill_ || !r_.planner_.deferred()) return;
    const ModelSpec& s = r_.model_->spec();
    std::vector<KeptPositions> kept = r_.planner_.select_all(evidence_);
    for (int l = 0; l < s.n_layers; ++l) {
      r_.prompt_[l].assign(r_.model_->backend(), full_k_[l].data(), full_v_[l].data(), s.n_kv_heads, s.head_dim,
                           std::move(kept[l]));
      full_k_[l].reset();
      full_v_[l].reset();
    }
  }

 private:
  CachedRunner& r_;
  bool prefill_;
  int64_t n_ = 0;
  uint64_t stored_ = 0;
  std::vector<float> mask_col_, window_col_;
  std::vector<LayerEvidence> evidence_;
  std::vector<Buf<float>> full_k_, full_v_;
};

// A step over the response only: it attends to the kept prompt K/V and the cached response
// K/V, and refreshes every response token's features (a response refresh) or those of the
// floor(rho * L) tokens whose V changed most (a partial update, dLLM-Cache's adaptive rule).
class CachedRunner::StepMemory final : public ForwardMemory {
 public:
  StepMemory(CachedRunner& r, bool partial)
      : r_(r), partial_(partial), m_(static_cast<int64_t>(std::floor(r.options_.rho * r.n_response_))) {}

  const PromptKV* prefix(int l) override { return &r_.prompt_[l]; }
  ResponseFeatures* features(int l) override { return &r_.response_[l]; }

  std::vector<int64_t> refresh(int, const float* v_fresh, const float* v_cached, int64_t n) override {
    if (!partial_) {
      std::vector<int64_t> all(static_cast<size_t>(n));
      std::iota(all.begin(), all.end(), int64_t{0});
      return all;
    }
    const ModelSpec& s = r_.model_->spec();
    Backend& be = r_.model_->backend();
    const int64_t dkv = int64_t(s.n_kv_heads) * s.head_dim;
    const size_t size = static_cast<size_t>(n * dkv);
    return least_similar(HostView(be, v_fresh, size).data(), HostView(be, v_cached, size).data(), n, dkv, m_);
  }

  // Dream reads the logit of the last prompt position (its shift), kept from the full pass.
  const float* final_residual(int64_t row) override {
    return row == r_.n_prompt_ - 1 && !r_.last_prompt_final_.empty() ? r_.last_prompt_final_.data() : nullptr;
  }

 private:
  CachedRunner& r_;
  bool partial_;
  int64_t m_;
};

CachedRunner::CachedRunner(std::shared_ptr<const Model> model, const CacheOptions& options,
                           int64_t n_prompt, int64_t n_response, double rope_scaling)
    : model_(std::move(model)),
      options_(options),
      planner_(options, model_->spec().n_layers, model_->spec().n_kv_heads, n_prompt),
      n_prompt_(n_prompt),
      n_response_(n_response),
      rope_theta_(model_->spec().rope_theta * rope_scaling) {
  const ModelSpec& s = model_->spec();
  const bool dream = s.family == Family::dream;
  prompt_refresh_ = options.prompt_refresh > 0 ? options.prompt_refresh : (dream ? 25 : 50);
  response_refresh_ = options.response_refresh > 0 ? options.response_refresh : (dream ? 2 : 5);
  prompt_.resize(s.n_layers);
  response_.resize(s.n_layers);
}

void CachedRunner::account() {
  stats_.kv_pairs_kept = 0;
  stats_.kv_bytes = 0;
  for (size_t l = 0; l < prompt_.size(); ++l) {
    stats_.kv_pairs_kept += prompt_[l].pairs();
    stats_.kv_bytes += prompt_[l].bytes() + response_[l].kv_bytes();
  }
  stats_.kv_bytes_peak = std::max(stats_.kv_bytes_peak, stats_.kv_bytes);
}

std::vector<float> CachedRunner::logits(const std::vector<int32_t>& x, const std::vector<int64_t>& rows) {
  const int call = calls_++;
  std::vector<float> out;
  if (call == 0 || (!evicts(options_.policy) && call % prompt_refresh_ == 0)) {
    const auto t0 = std::chrono::steady_clock::now();
    out = full_pass(x, rows);
    if (call == 0) stats_.prefill_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ++stats_.full_passes;
  } else if (call % response_refresh_ == 0) {
    out = response_pass(x, rows, false);
    ++stats_.response_passes;
  } else {
    out = response_pass(x, rows, true);
    ++stats_.partial_passes;
  }
  account();
  return out;
}

std::vector<float> CachedRunner::full_pass(const std::vector<int32_t>& x, const std::vector<int64_t>& rows) {
  PrefillObserver obs(*this, calls_ == 1);
  const RowBlock all{x.data(), 0, static_cast<int64_t>(x.size())};
  std::vector<float> out =
      forward_logits(model_->spec(), model_->weights(), model_->backend(), all, rows, rope_theta_, nullptr, &obs);
  obs.finish();
  return out;
}

std::vector<float> CachedRunner::response_pass(const std::vector<int32_t>& x, const std::vector<int64_t>& rows,
                                               bool partial) {
  StepMemory memory(*this, partial);
  const RowBlock response{x.data() + n_prompt_, n_prompt_, n_response_};
  return forward_logits(model_->spec(), model_->weights(), model_->backend(), response, rows, rope_theta_, &memory);
}

}  // namespace maskkv
