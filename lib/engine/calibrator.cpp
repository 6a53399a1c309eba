#include "engine/calibrator.h"

#include "core/error.h"
#include "engine/generate_options.h"
#include "eviction/scores.h"
#include "model/transformer.h"

namespace maskkv {

namespace {

class StatsObserver final : public ForwardObserver {
 public:
  StatsObserver(const ModelSpec& s, Backend& be, int64_t n_prompt, int64_t n)
      : s_(s), be_(be), n_prompt_(n_prompt), n_(n), importance(s.n_layers), preference(s.n_layers) {}

  std::vector<Backend::ScoreRequest> score_requests(int) override {
    col_.assign(static_cast<size_t>(s_.n_heads * n_), 0.0f);
    return {{n_prompt_, n_, col_.data()}};
  }

  void on_attention(int l, const float* h_in, const float* attn_out, const float*, const float*) override {
    const size_t size = static_cast<size_t>(n_ * s_.d_model);
    importance[l] = layer_importance(HostView(be_, h_in, size).data(), HostView(be_, attn_out, size).data(), n_,
                                     s_.d_model);
    preference[l] = head_prompt_preference(col_.data(), s_.n_heads, s_.n_kv_heads, n_, n_prompt_);
  }

  const ModelSpec& s_;
  Backend& be_;
  int64_t n_prompt_, n_;
  std::vector<float> col_;
  std::vector<double> importance;
  std::vector<std::vector<double>> preference;
};

}  // namespace

Calibrator::Calibrator(std::shared_ptr<const Model> model, int gen_length, double rope_scaling)
    : model_(std::move(model)), gen_length_(gen_length), rope_scaling_(rope_scaling) {
  const ModelSpec& s = model_->spec();
  if (gen_length < 1) fail(Code::invalid_argument, "calibration gen_length must be positive");
  importance_.assign(s.n_layers, 0.0);
  preference_.assign(s.n_layers, std::vector<double>(s.n_kv_heads, 0.0));
}

void Calibrator::add_sample(const std::vector<int32_t>& prompt) {
  const ModelSpec& s = model_->spec();
  if (prompt.empty()) fail(Code::invalid_argument, "a calibration prompt is empty");
  GenerateOptions o;
  o.gen_length = gen_length_;
  o.rope_scaling = rope_scaling_;
  resolve_options(o, s, static_cast<int64_t>(prompt.size()));
  for (size_t i = 0; i < prompt.size(); ++i)
    if (prompt[i] < 0 || prompt[i] >= s.vocab_size || prompt[i] == s.mask_id)
      fail(Code::out_of_range, "calibration prompt id " + std::to_string(prompt[i]) + " at position " +
                                   std::to_string(i) + " is not a valid prompt token");
  std::vector<int32_t> x(prompt);
  x.resize(prompt.size() + gen_length_, s.mask_id);
  StatsObserver obs(s, model_->backend(), static_cast<int64_t>(prompt.size()), static_cast<int64_t>(x.size()));
  const RowBlock all{x.data(), 0, static_cast<int64_t>(x.size())};
  forward_logits(s, model_->weights(), model_->backend(), all, {}, s.rope_theta * rope_scaling_, nullptr, &obs);
  for (int l = 0; l < s.n_layers; ++l) {
    importance_[l] += obs.importance[l];
    for (int h = 0; h < s.n_kv_heads; ++h) preference_[l][h] += obs.preference[l][h];
  }
  ++samples_;
}

Profile Calibrator::profile() const {
  if (samples_ == 0) fail(Code::invalid_argument, "no calibration samples were added");
  const ModelSpec& s = model_->spec();
  Profile p;
  p.fingerprint = model_->fingerprint();
  p.n_layers = s.n_layers;
  p.n_kv_heads = s.n_kv_heads;
  p.samples = samples_;
  p.layer_importance = importance_;
  p.head_prompt_preference = preference_;
  for (auto& v : p.layer_importance) v /= samples_;
  for (auto& row : p.head_prompt_preference)
    for (auto& v : row) v /= samples_;
  return p;
}

}  // namespace maskkv
