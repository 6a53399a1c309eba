// What a forward pass reads beside the rows it computes. The forward consults it layer by layer
// (the engine's caches implement it): the kept K/V of earlier rows that the block's queries also
// attend to, the block's own cached features, and which rows a layer recomputes. Without one, a
// block attends only to itself and every row is computed.
#pragma once

#include <cstdint>
#include <vector>

#include "cache/kv_store.h"

namespace maskkv {

class ForwardMemory {
 public:
  virtual ~ForwardMemory() = default;
  // Kept K/V (RoPE applied) of rows before the block, attended to beside the block's own K/V;
  // nullptr for none.
  virtual const PromptKV* prefix(int layer) = 0;
  // The block's cached features in `layer` (K, V, attention and FFN outputs of every row, sized
  // for the block), which the forward reads and refreshes; nullptr to compute every row afresh.
  virtual ResponseFeatures* features(int layer) = 0;
  // With cached features: the block rows (ascending block indices) whose K and attention and FFN
  // outputs `layer` recomputes, given the fresh V of every row and the cached V (both [n, Hkv*d],
  // backend memory). The fresh V replaces the cached one whichever rows are chosen.
  virtual std::vector<int64_t> refresh(int layer, const float* v_fresh, const float* v_cached,
                                       int64_t n) = 0;
  // The residual stream after the last layer at sequence row `row`, outside the block ([D],
  // backend memory), for a logit read there; nullptr when the memory does not hold it.
  virtual const float* final_residual(int64_t /*row*/) { return nullptr; }
};

}  // namespace maskkv
