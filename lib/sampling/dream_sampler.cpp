// Dream's sampler (DreamLM/Dream generation_utils.py; docs/sampling.md for the draw order):
// origin, maskgit_plus, topk_margin and entropy, with temperature / top-p / top-k and alg_temp,
// plus the Fast-dLLM threshold and factor rules as options.
#include <algorithm>
#include <cmath>
#include <limits>

#include "sampling/commit_rules.h"
#include "sampling/distributions.h"
#include "sampling/sampler.h"

namespace maskkv {

namespace {

constexpr double kEps = 1e-3;

class DreamSampler final : public Sampler {
 public:
  explicit DreamSampler(const SamplerOptions& o) : o_(o) {}

  std::vector<int64_t> positions(const std::vector<int32_t>& x) const override {
    std::vector<int64_t> out;
    for (int64_t p = o_.prompt_length; p < static_cast<int64_t>(x.size()); ++p)
      if (x[p] == o_.mask_id) out.push_back(p);
    return out;
  }

  int commit(std::vector<int32_t>& x, const std::vector<int64_t>& pos, std::vector<float>& logits,
             int vocab, Rng& rng) override {
    const size_t m = pos.size();
    const bool last = step_ == o_.steps - 1;
    const double t = 1.0 - step_ * (1.0 - kEps) / o_.steps;
    const double s = 1.0 - (step_ + 1) * (1.0 - kEps) / o_.steps;
    ++step_;
    if (m == 0) return 0;
    std::vector<double> probs;
    int committed = 0;

    if (o_.alg == DreamAlg::origin) {
      const double p_transfer = last ? 1.0 : 1.0 - s / t;
      std::vector<size_t> revealed;
      for (size_t i = 0; i < m; ++i)
        if (rng.uniform() < p_transfer) revealed.push_back(i);
      for (size_t i : revealed) {
        x[pos[i]] = sample(logits.data() + i * vocab, vocab, rng, probs);
        ++committed;
      }
      return committed;
    }

    std::vector<int32_t> token(m);
    std::vector<double> confidence(m);
    for (size_t i = 0; i < m; ++i) {
      token[i] = sample(logits.data() + i * vocab, vocab, rng, probs);
      confidence[i] = score(probs, token[i]);
    }
    std::vector<size_t> chosen;
    if (o_.threshold > 0) {
      chosen = select_threshold(confidence, o_.threshold);
    } else if (o_.factor > 0) {
      chosen = select_factor(confidence, o_.factor);
    } else {
      const size_t n = last ? m : static_cast<size_t>(std::floor(m * (1.0 - s / t)));
      if (n == 0) return 0;
      chosen = o_.alg_temp > 0 ? sample_without_replacement(confidence, n, rng)
                               : select_top_k(confidence, n);
    }
    for (size_t i : chosen) x[pos[i]] = token[i];
    return static_cast<int>(chosen.size());
  }

  bool finished(const std::vector<int32_t>& x) const override {
    // Once every position is revealed the remaining steps of the original change nothing.
    return step_ >= o_.steps || positions(x).empty();
  }

 private:
  int32_t sample(const float* logits, int vocab, Rng& rng, std::vector<double>& probs) const {
    dream_probs(logits, vocab, o_.temperature, o_.top_p, o_.top_k, probs);
    if (o_.temperature > 0) return static_cast<int32_t>(categorical(probs, rng.uniform()));
    return static_cast<int32_t>(argmax(probs.data(), probs.size()));
  }

  double score(const std::vector<double>& probs, int32_t token) const {
    switch (o_.alg) {
      case DreamAlg::topk_margin: {
        double p1 = 0, p2 = 0;
        for (double p : probs) {
          if (p > p1) {
            p2 = p1;
            p1 = p;
          } else if (p > p2) {
            p2 = p;
          }
        }
        return p1 - p2;
      }
      case DreamAlg::entropy: {
        double e = 0;
        for (double p : probs) e += p * std::log(p + 1e-10);
        return e;
      }
      default:
        return probs[token];
    }
  }

  // n draws without replacement from softmax(confidence / alg_temp).
  std::vector<size_t> sample_without_replacement(const std::vector<double>& confidence, size_t n,
                                                 Rng& rng) const {
    std::vector<double> scaled(confidence.size()), w;
    for (size_t i = 0; i < confidence.size(); ++i) scaled[i] = confidence[i] / o_.alg_temp;
    softmax(scaled.data(), scaled.size(), w);
    std::vector<size_t> out;
    for (size_t k = 0; k < n && k < w.size(); ++k) {
      size_t i = categorical(w, rng.uniform());
      out.push_back(i);
      w[i] = 0;
    }
    return out;
  }

  SamplerOptions o_;
  int step_ = 0;
};

}  // namespace

std::unique_ptr<Sampler> make_dream_sampler(const SamplerOptions& o) {
  return std::make_unique<DreamSampler>(o);
}

}  // namespace maskkv
