#include "engine/cached_runner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "core/error.h"
#include "model/transformer.h"

namespace maskkv {

namespace {

// Rows [begin, begin + n) of a row-major [*, width] matrix in backend memory, copied.
Buf<float> rows_of(Backend& be, const float* m, int64_t begin, int64_t n, int64_t width) {
  Buf<float> out(be, static_cast<size_t>(n * width));
  be.copy(out.data(), m + begin * width, out.bytes());
  return out;
}

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
    rf.k = rows_of(be, k, np, L, dkv);
    rf.v = rows_of(be, v, np, L, dkv);
    rf.attn = rows_of(be, attn_out, np, L, s.d_model);
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
      full_k_[l] = rows_of(be, k, 0, np, dkv);
      full_v_[l] = rows_of(be, v, 0, np, dkv);
      stored_ += full_k_[l].bytes() + full_v_[l].bytes();
    } else {
      // Evict now: layer l's full K/V never coexist with another layer's.
      r_.prompt_[l].assign(be, k, v, s.n_kv_heads, s.head_dim, r_.planner_.select_layer(l, e));
      stored_ += r_.prompt_[l].bytes();
    }
  }

  void on_ffn(int l, const float* ffn_out) override {
    r_.response_[l].ffn = rows_of(r_.model_->backend(), ffn_out, r_.n_prompt_, r_.n_response_, r_.model_->spec().d_model);
  }

  void on_final(const float* x) override {
    const int64_t d = r_.model_->spec().d_model;
    if (r_.n_prompt_ > 0) r_.last_prompt_final_ = rows_of(r_.model_->backend(), x, r_.n_prompt_ - 1, 1, d);
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
  std::vector<int64_t> positions(n_response);
  std::iota(positions.begin(), positions.end(), n_prompt);
  std::vector<float> cos, sin;
  rope_tables(positions, s.head_dim, rope_theta_, cos, sin);
  cos_ = to_backend(model_->backend(), cos);
  sin_ = to_backend(model_->backend(), sin);
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
  std::vector<float> out = forward_logits(model_->spec(), model_->weights(), model_->backend(), x.data(),
                                          static_cast<int64_t>(x.size()), rows, rope_theta_, &obs);
  obs.finish();
  return out;
}

std::vector<float> CachedRunner::response_pass(const std::vector<int32_t>& x, const std::vector<int64_t>& rows,
                                               bool partial) {
  const ModelSpec& s = model_->spec();
  const Weights& w = model_->weights();
  Backend& be = model_->backend();
  const int64_t L = n_response_, d = s.d_model, dq = int64_t(s.n_heads) * s.head_dim,
                dkv = int64_t(s.n_kv_heads) * s.head_dim, f = s.mlp_hidden, half = s.head_dim / 2;
  const int64_t m = partial ? static_cast<int64_t>(std::floor(options_.rho * L)) : L;
  Buf<float> xr(be, L * d), h(be, L * d), v_new(be, L * dkv), q(be, m * dq), k(be, m * dkv), att(be, m * dq),
      o(be, m * d), hs(be, m * d), gate(be, m * f), up(be, m * f), cs(be, m * half), sn(be, m * half);
  be.embed(x.data() + n_prompt_, L, w.embed, xr.data());
  for (int l = 0; l < s.n_layers; ++l) {
    const LayerWeights& W = w.layers[l];
    ResponseFeatures& rf = response_[l];
    const PromptKV& pk = prompt_[l];
    // Which response tokens get fresh features in this layer.
    be.rmsnorm(xr.data(), L, d, W.attn_norm, s.rms_norm_eps, h.data());
    be.linear(h.data(), L, W.wv, W.v_bias, v_new.data());
    std::vector<int64_t> sel(L);
    std::iota(sel.begin(), sel.end(), int64_t{0});
    if (partial)
      sel = least_similar(HostView(be, v_new.data(), v_new.size()).data(), HostView(be, rf.v.data(), rf.v.size()).data(),
                          L, dkv, m);
    std::swap(rf.v, v_new);  // the fresh V is cached; the old buffer is reused next layer
    // Where the selected tokens' rows start in the [L, d], [L, half] and [L, Hkv*d] buffers.
    const std::vector<int64_t> at_d = row_offsets(sel, d), at_half = row_offsets(sel, half),
                               at_kv = row_offsets(sel, dkv);
    if (m > 0) {
      be.gather(h.data(), at_d.data(), m, d, hs.data());
      be.gather(cos_.data(), at_half.data(), m, half, cs.data());
      be.gather(sin_.data(), at_half.data(), m, half, sn.data());
      be.linear(hs.data(), m, W.wq, W.q_bias, q.data());
      be.linear(hs.data(), m, W.wk, W.k_bias, k.data());
      be.rope(q.data(), m, s.n_heads, s.head_dim, cs.data(), sn.data());
      be.rope(k.data(), m, s.n_kv_heads, s.head_dim, cs.data(), sn.data());
      be.scatter(k.data(), at_kv.data(), m, dkv, rf.k.data());
      be.attention_ragged(q.data(), m, pk.k.data(), pk.v.data(), pk.offsets.data(), rf.k.data(), rf.v.data(), L,
                          s.n_heads, s.n_kv_heads, s.head_dim, att.data());
      be.linear(att.data(), m, W.wo, nullptr, o.data());
      be.scatter(o.data(), at_d.data(), m, d, rf.attn.data());
    }
    be.add(xr.data(), rf.attn.data(), L * d);
    if (m > 0) {
      be.gather(xr.data(), at_d.data(), m, d, o.data());
      be.rmsnorm(o.data(), m, d, W.ffn_norm, s.rms_norm_eps, hs.data());
      be.linear(hs.data(), m, W.w_gate, nullptr, gate.data());
      be.linear(hs.data(), m, W.w_up, nullptr, up.data());
      be.swiglu(gate.data(), up.data(), m * f, gate.data());
      be.linear(gate.data(), m, W.w_down, nullptr, o.data());
      be.scatter(o.data(), at_d.data(), m, d, rf.ffn.data());
    }
    be.add(xr.data(), rf.ffn.data(), L * d);
  }
  // Mask-only projection: the LM head on the rows that are read.
  Buf<float> picked(be, rows.size() * d);
  std::vector<int64_t> response_rows, response_dst;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] >= n_prompt_) {
      response_rows.push_back(rows[i] - n_prompt_);
      response_dst.push_back(static_cast<int64_t>(i));
    } else if (rows[i] == n_prompt_ - 1 && !last_prompt_final_.empty()) {
      be.copy(picked.data() + i * d, last_prompt_final_.data(), d * sizeof(float));
    } else {
      fail(Code::internal, "cached pass asked for prompt row " + std::to_string(rows[i]));
    }
  }
  if (!response_rows.empty()) {
    const int64_t nr = static_cast<int64_t>(response_rows.size());
    Buf<float> tmp(be, nr * d);
    be.gather(xr.data(), row_offsets(response_rows, d).data(), nr, d, tmp.data());
    be.scatter(tmp.data(), row_offsets(response_dst, d).data(), nr, d, picked.data());
  }
  return lm_head(s, w, be, picked.data(), static_cast<int64_t>(rows.size()));
}

}  // namespace maskkv
