// The model's tensors bound by role. Projection weights stay in the checkpoint's memory map in
// their file dtype; the small norm weights and biases are converted to f32 once at load.
// place_weights() makes the set resident on a backend (uploaded once for CUDA).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "backend/backend.h"
#include "io/checkpoint.h"
#include "model/model_spec.h"

namespace maskkv {

// f32 vectors (norm weights, biases) as pointers; null for an absent bias.
struct LayerWeights {
  const float* attn_norm = nullptr;
  const float* ffn_norm = nullptr;
  const float* q_bias = nullptr;
  const float* k_bias = nullptr;
  const float* v_bias = nullptr;
  WeightView wq, wk, wv, wo, w_gate, w_up, w_down;
};

struct Weights {
  WeightView embed;    // [vocab, d_model]
  WeightView lm_head;  // [vocab, d_model]
  const float* final_norm = nullptr;
  std::vector<LayerWeights> layers;
  DType dtype = DType::f32;  // of the projection weights (after any conversion at load)
  uint64_t bytes = 0;        // bytes of all bound tensors as stored
  // The host f32 copies the vector pointers of a bound (host) set address.
  std::shared_ptr<std::deque<std::vector<float>>> host_vectors;
  // Matrices converted at load (model/convert_weights.h) that views point into; empty when
  // every view addresses the memory map.
  std::shared_ptr<std::deque<std::unique_ptr<uint8_t[]>>> converted;
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

// The same weights with every tensor resident on `backend`: the CPU backend keeps the memory
// map; CUDA uploads each tensor once in its file dtype. `host` must outlive the result.
Weights place_weights(const ModelSpec& spec, const Weights& host, Backend& backend);

// Index of the first NaN/Inf among n values of `dtype` at `data`, or -1 when all are finite.
int64_t first_non_finite(DType dtype, const void* data, size_t n);

}  // namespace maskkv
