// The model's tensors bound by role. Projection weights stay in the checkpoint's memory map in
// their file dtype; the small norm weights and biases are converted to f32 once at load.
#pragma once

#include <cstdint>
#include <vector>

#include "backend/backend.h"
#include "io/checkpoint.h"
#include "model/model_spec.h"

namespace maskkv {

struct LayerWeights {
  std::vector<float> attn_norm, ffn_norm;
  std::vector<float> q_bias, k_bias, v_bias;  // empty without q/k/v biases
  WeightView wq, wk, wv, wo, w_gate, w_up, w_down;
};

struct Weights {
  WeightView embed;    // [vocab, d_model]
  WeightView lm_head;  // [vocab, d_model]
  std::vector<float> final_norm;
  std::vector<LayerWeights> layers;
  DType dtype = DType::f32;  // of the projection weights
  uint64_t bytes = 0;        // bytes of all bound tensors as stored
};

// Binds every tensor the spec needs, checking presence, shape and dtype; throws Error(format)
// naming the tensor and both shapes on a mismatch.
//
// Non-finite weights (NaN, +-Inf) are rejected with Error(format) naming the tensor and the
// index of the first bad value. The small tensors (norm weights, biases) are always checked:
// they are converted to f32 at load anyway. The projection matrices and embeddings stay in the
// memory map and are checked only when scan_all_weights is set (a pass over every byte of the
// checkpoint: seconds per GB, and every page read); without it, NaN/Inf there surfaces as NaN
// logits, which a session rejects at the step that meets them (engine/session.cpp).
Weights bind_weights(const ModelSpec& spec, const Checkpoint& checkpoint);
Weights bind_weights(const ModelSpec& spec, const Checkpoint& checkpoint, bool scan_all_weights);

// Index of the first NaN/Inf among n values of `dtype` at `data`, or -1 when all are finite.
int64_t first_non_finite(DType dtype, const void* data, size_t n);

}  // namespace maskkv
