// LLaDA's semi-autoregressive remasking sampler (ML-GSAI/LLaDA generate.py; docs/sampling.md
// for the draw order) with the Fast-dLLM threshold and factor rules as options.
#include <algorithm>
#include <cmath>
#include <limits>

#include "sampling/commit_rules.h"
#include "sampling/distributions.h"
#include "sampling/sampler.h"

namespace maskkv {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

class LladaSampler final : public Sampler {
 public:
  explicit LladaSampler(const SamplerOptions& o)
      : o_(o), n_blocks_(o.gen_length / o.block_length), steps_per_block_(o.steps / n_blocks_) {}

  std::vector<int64_t> positions(const std::vector<int32_t>& x) const override {
    std::vector<int64_t> out;
    if (block_ >= n_blocks_) return out;
    for (int64_t p = block_start(); p < block_start() + o_.block_length; ++p)
      if (x[p] == o_.mask_id) out.push_back(p);
    return out;
  }

  int commit(std::vector<int32_t>& x, const std::vector<int64_t>& pos, std::vector<float>& logits,
             int vocab, Rng& rng) override {
    if (step_in_block_ == 0) schedule_ = llada_schedule(static_cast<int>(pos.size()), steps_per_block_);
    const size_t n = pos.size();
    std::vector<int32_t> proposal(n);
    std::vector<double> confidence(n), row(vocab), p;
    for (size_t i = 0; i < n; ++i) {
      float* l = logits.data() + i * vocab;
      if (o_.eos_logit_inf && o_.eos_id >= 0) l[o_.eos_id] = -std::numeric_limits<float>::infinity();
      if (o_.temperature > 0) {
        // Gumbel-max in the original's form: argmax exp(l) / (-log U)^T, in double.
        for (int v = 0; v < vocab; ++v)
          row[v] = std::exp(static_cast<double>(l[v])) / std::pow(-std::log(rng.uniform()), o_.temperature);
        proposal[i] = static_cast<int32_t>(argmax(row.data(), vocab));
      } else {
        proposal[i] = static_cast<int32_t>(argmax(l, vocab));
      }
      if (o_.remasking == Remasking::low_confidence) {
        for (int v = 0; v < vocab; ++v) row[v] = l[v];
        softmax(row.data(), vocab, p);
        confidence[i] = p[proposal[i]];
      }
    }
    if (o_.remasking == Remasking::random)
      for (size_t i = 0; i < n; ++i) confidence[i] = rng.uniform();
    if (o_.eos_confidence_inf)
      for (size_t i = 0; i < n; ++i)
        if (proposal[i] == o_.eos_id || proposal[i] == o_.eot_id) confidence[i] = kNegInf;

    std::vector<size_t> chosen;
    if (o_.threshold > 0)
      chosen = select_threshold(confidence, o_.threshold);
    else if (o_.factor > 0)
      chosen = select_factor(confidence, o_.factor);
    else
      chosen = select_top_k(confidence, static_cast<size_t>(schedule_[step_in_block_]));
    if (n == 0) chosen.clear();
    for (size_t i : chosen) x[pos[i]] = proposal[i];

    ++step_in_block_;
    // The block ends when its masks are gone. Under the schedule that happens at its last step,
    // or earlier when the block has fewer masks than steps: the original then runs forward
    // passes that commit nothing, which change no token, so maskkv skips them.
    // A proposal may be the mask id itself; committing it leaves a mask that no step planned
    // for. Under the schedule the block then ends after its steps_per_block steps, like the
    // original (schedule_ has no entry past them); under the threshold/factor rules, which
    // commit at least one token a step, after block_length steps (without the cap a model that
    // keeps proposing the mask id would loop forever).
    const bool scheduled = !(o_.threshold > 0) && !(o_.factor > 0);
    const int max_steps = scheduled ? steps_per_block_ : std::max(steps_per_block_, o_.block_length);
    if (n == chosen.size() || step_in_block_ >= max_steps) {
      ++block_;
      step_in_block_ = 0;
    }
    return static_cast<int>(chosen.size());
  }

  bool finished(const std::vector<int32_t>&) const override { return block_ >= n_blocks_; }

 private:
  int64_t block_start() const { return o_.prompt_length + int64_t(block_) * o_.block_length; }

  SamplerOptions o_;
  int n_blocks_;
  int steps_per_block_;
  int block_ = 0;
  int step_in_block_ = 0;
  std::vector<int> schedule_;
};

}  // namespace

std::unique_ptr<Sampler> make_llada_sampler(const SamplerOptions& o) {
  return std::make_unique<LladaSampler>(o);
}

}  // namespace maskkv
