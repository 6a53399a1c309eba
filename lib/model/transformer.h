// The one forward pass of the bidirectional transformer, readable top to bottom. It computes a
// block of consecutive sequence rows; a ForwardMemory, when given, supplies what the block reads
// beside its own rows (kept prompt K/V, cached features) and picks the rows each layer refreshes.
// Every caller (vanilla denoising, the cached prefill and steps, calibration) goes through it.
#pragma once

#include <cstdint>
#include <vector>

#include "backend/backend.h"
#include "model/forward_memory.h"
#include "model/model_spec.h"
#include "model/weights.h"

namespace maskkv {

// Hooks into a full forward pass: the prefill of a cached generation (which fills the caches
// and decides what to evict) and calibration (which gathers statistics). Pointers address the
// backend's memory (HostView reads them on the host) and are valid only during the call.
class ForwardObserver {
 public:
  virtual ~ForwardObserver() = default;
  // Column sums of attention probabilities wanted from layer `layer` (see Backend).
  virtual std::vector<Backend::ScoreRequest> score_requests(int /*layer*/) { return {}; }
  // After the attention sub-layer: h_in [n, D] is the residual stream entering it, attn_out
  // [n, D] its output (after the output projection), k / v [n, Hkv*d] (RoPE applied to k).
  virtual void on_attention(int /*layer*/, const float* /*h_in*/, const float* /*attn_out*/,
                            const float* /*k*/, const float* /*v*/) {}
  // After the feed-forward sub-layer: its output [n, D] (after the down projection).
  virtual void on_ffn(int /*layer*/, const float* /*ffn_out*/) {}
  // The residual stream after the last layer, before the final norm: [n, D].
  virtual void on_final(const float* /*x*/) {}
};

// The rows a forward pass computes: ids[0..n) at sequence positions first .. first + n - 1.
struct RowBlock {
  const int32_t* ids = nullptr;  // host
  int64_t first = 0;
  int64_t n = 0;
};

// Runs the block through every layer and returns the logits of the given sequence rows only
// (row-major [rows.size(), vocab]): the LM head is computed where a logit is read. A row outside
// the block must be one whose final residual the memory holds. rope_theta is the (possibly
// scaled) RoPE base. The observer sees the block's tensors ([n, ...]) after each sub-layer; it
// may ask for attention scores only where the block attends to itself alone (no prefix K/V).
std::vector<float> forward_logits(const ModelSpec& spec, const Weights& weights, Backend& backend,
                                  const RowBlock& block, const std::vector<int64_t>& rows,
                                  double rope_theta, ForwardMemory* memory = nullptr,
                                  ForwardObserver* observer = nullptr);

// Final norm and LM head over m residual rows x [m, D] (backend memory): host logits [m, vocab].
std::vector<float> lm_head(const ModelSpec& spec, const Weights& weights, Backend& backend,
                           const float* x, int64_t m);

// Offsets (in floats) of rows[i] of a row-major [*, width] matrix, for Backend::gather/scatter.
std::vector<int64_t> row_offsets(const std::vector<int64_t>& rows, int64_t width);

// cos/sin tables [positions.size(), head_dim/2], computed in f32 as PyTorch does.
void rope_tables(const std::vector<int64_t>& positions, int head_dim, double theta,
                 std::vector<float>& cos, std::vector<float>& sin);

}  // namespace maskkv
