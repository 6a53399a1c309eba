// Options of one generation, validated as a whole before a session starts.
#pragma once

#include <cstdint>

#include "eviction/policy.h"
#include "model/model_spec.h"
#include "sampling/sampler.h"

namespace maskkv {

// The options of one generation: maskkv_generate_options in engine types. Every default comes
// from the option table (options/generate_option_table.h); the sampling rules are the base.
struct GenerateOptions : SamplingRules {
  SamplerKind sampler = option_default<SamplerKind>(GenOpt::sampler);
  double cfg_scale = option_default<double>(GenOpt::cfg_scale);
  uint64_t seed = option_default<uint64_t>(GenOpt::seed);
  // 0 = pick lambda for the sequence length (LongLLaDA formula)
  double rope_scaling = option_default<double>(GenOpt::rope_scaling);
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
