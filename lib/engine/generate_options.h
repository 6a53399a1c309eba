// Options of one generation, validated as a whole before a session starts.
#pragma once

#include <cstdint>

#include "eviction/policy.h"
#include "model/model_spec.h"
#include "sampling/sampler.h"

namespace maskkv {

struct GenerateOptions {
  int gen_length = 64;
  int steps = 0;         // 0 = gen_length
  int block_length = 0;  // 0 = gen_length
  SamplerKind sampler = SamplerKind::auto_select;
  Remasking remasking = Remasking::low_confidence;
  DreamAlg alg = DreamAlg::entropy;
  double alg_temp = 0;
  double temperature = 0;
  double top_p = 1;
  int top_k = 0;
  double cfg_scale = 0;
  double threshold = 0;
  double factor = 0;
  bool eos_logit_inf = false;
  bool eos_confidence_inf = false;
  uint64_t seed = 0;
  double rope_scaling = 1;  // 0 = pick lambda for the sequence length (LongLLaDA formula)
  CacheOptions cache;  // policy none: vanilla recompute of the whole sequence every step
};

// Checks the options against the model and prompt length (throws Error naming the option and
// value) and returns the options with defaults resolved (steps, block_length, sampler).
GenerateOptions resolve_options(const GenerateOptions& options, const ModelSpec& spec,
                                int64_t prompt_length);

// An upper bound of the K/V and feature-cache bytes a generation holds at its peak (the
// transient full-layer K/V of a pass included), from the options alone.
uint64_t cache_bytes_bound(const GenerateOptions& resolved, const ModelSpec& spec, int64_t prompt_length);

}  // namespace maskkv
