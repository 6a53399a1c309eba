// NTK-style RoPE base scaling for long prompts (LongLLaDA): theta' = lambda * theta.
#pragma once

#include "model/model_spec.h"

namespace maskkv {

// The critical dimension d_c = 2 * ceil((d/2) * log_b(T_train / 2pi)), b = theta.
double rope_critical_dim(const ModelSpec& spec);
// lambda that lets the model reach `target_length` tokens: 1 within max_seq_len, else
// b^-1 (T / 2pi)^(d / d_c), but always just above 1 (so that context_length_for_scaling covers T).
double rope_scaling_for_length(const ModelSpec& spec, int64_t target_length);
// The context length a scaling factor supports: max_seq_len for lambda <= 1, else
// floor(2pi (lambda b)^(d_c / d)) (the inverse of the formula above), never below max_seq_len.
int64_t context_length_for_scaling(const ModelSpec& spec, double lambda);

}  // namespace maskkv
