// The denoising rules of a model family. The engine asks which masked positions need logits,
// evaluates the model there, and hands the logits back; the sampler decides what to commit.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "options/generate_option_table.h"
#include "sampling/rng.h"

namespace maskkv {

enum class SamplerKind : int { auto_select = 0, llada = 1, dream = 2 };
enum class Remasking : int { low_confidence = 0, random = 1 };
enum class DreamAlg : int { origin = 0, maskgit_plus = 1, topk_margin = 2, entropy = 3 };

// The rules of the denoising loop that a generation's options set (GenerateOptions derives
// from this, so the sampler receives them in one assignment). Defaults from the option table.
struct SamplingRules {
  int gen_length = option_default<int>(GenOpt::gen_length);
  int steps = option_default<int>(GenOpt::steps);                // 0 = gen_length
  int block_length = option_default<int>(GenOpt::block_length);  // 0 = gen_length
  Remasking remasking = option_default<Remasking>(GenOpt::remasking);
  DreamAlg alg = option_default<DreamAlg>(GenOpt::alg);
  double alg_temp = option_default<double>(GenOpt::alg_temp);
  double temperature = option_default<double>(GenOpt::temperature);
  double top_p = option_default<double>(GenOpt::top_p);
  int top_k = option_default<int>(GenOpt::top_k);
  double threshold = option_default<double>(GenOpt::threshold);  // Fast-dLLM threshold rule when > 0
  double factor = option_default<double>(GenOpt::factor);        // Fast-dLLM factor rule when > 0
  bool eos_logit_inf = option_default<bool>(GenOpt::eos_logit_inf);
  bool eos_confidence_inf = option_default<bool>(GenOpt::eos_confidence_inf);
};

// What a sampler is built from: the rules with steps and block_length resolved (>= 1), and the
// prompt and model facts it needs.
struct SamplerOptions : SamplingRules {
  int prompt_length = 0;
  int mask_id = -1;
  int eos_id = -1;
  int eot_id = -1;
};

class Sampler {
 public:
  virtual ~Sampler() = default;
  // Masked positions whose predictions this step reads, ascending (may be empty).
  virtual std::vector<int64_t> positions(const std::vector<int32_t>& x) const = 0;
  // Commits tokens into x given logits [positions.size(), vocab] (the sampler may modify
  // them); returns how many positions it committed. Advances the step counter.
  virtual int commit(std::vector<int32_t>& x, const std::vector<int64_t>& positions,
                     std::vector<float>& logits, int vocab, Rng& rng) = 0;
  virtual bool finished(const std::vector<int32_t>& x) const = 0;
};

std::unique_ptr<Sampler> make_llada_sampler(const SamplerOptions& options);
std::unique_ptr<Sampler> make_dream_sampler(const SamplerOptions& options);

}  // namespace maskkv
