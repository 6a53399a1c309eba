// The denoising rules of a model family. The engine asks which masked positions need logits,
// evaluates the model there, and hands the logits back; the sampler decides what to commit.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "sampling/rng.h"

namespace maskkv {

enum class SamplerKind : int { auto_select = 0, llada = 1, dream = 2 };
enum class Remasking : int { low_confidence = 0, random = 1 };
enum class DreamAlg : int { origin = 0, maskgit_plus = 1, topk_margin = 2, entropy = 3 };

struct SamplerOptions {
  int prompt_length = 0;
  int gen_length = 64;
  int steps = 64;
  int block_length = 64;
  Remasking remasking = Remasking::low_confidence;
  DreamAlg alg = DreamAlg::entropy;
  double alg_temp = 0;
  double temperature = 0;
  double top_p = 1;
  int top_k = 0;
  double threshold = 0;  // Fast-dLLM threshold rule when > 0
  double factor = 0;     // Fast-dLLM factor rule when > 0
  bool eos_logit_inf = false;
  bool eos_confidence_inf = false;
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
