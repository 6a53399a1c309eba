// One forward pass of the bidirectional transformer, readable top to bottom.
#pragma once

#include <cstdint>
#include <vector>

#include "backend/backend.h"
#include "model/model_spec.h"
#include "model/weights.h"

namespace maskkv {

// Runs ids[0..n) at positions 0..n-1 through every layer and returns the logits of the given
// sequence rows only (row-major [rows.size(), vocab]): the LM head is computed where a logit is
// read. rope_theta is the (possibly scaled) RoPE base.
std::vector<float> forward_logits(const ModelSpec& spec, const Weights& weights, Backend& backend,
                                  const int32_t* ids, int64_t n, const std::vector<int64_t>& rows,
                                  double rope_theta);

// cos/sin tables [n, head_dim/2] for positions 0..n-1, computed in f32 as PyTorch does.
void rope_tables(int64_t n, int head_dim, double theta, std::vector<float>& cos,
                 std::vector<float>& sin);

}  // namespace maskkv
