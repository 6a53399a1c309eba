#include "model/rope_scaling.h"

#include <algorithm>
#include <cmath>

namespace maskkv {

namespace {
constexpr double kTwoPi = 6.283185307179586;
}

double rope_critical_dim(const ModelSpec& spec) {
  double d = spec.head_dim, b = spec.rope_theta;
  double ratio = std::log(spec.max_seq_len / kTwoPi) / std::log(b);
  return 2.0 * std::ceil((d / 2.0) * ratio);
}

double rope_scaling_for_length(const ModelSpec& spec, int64_t target_length) {
  if (target_length <= spec.max_seq_len) return 1.0;
  double d = spec.head_dim, dc = rope_critical_dim(spec), b = spec.rope_theta;
  double lambda = std::pow(target_length / kTwoPi, d / dc) / b;
  // Past max_seq_len the scaled regime must engage even where the formula asks for no change of
  // the base (lambda <= 1: the length is within the critical length 2pi b^(d_c/d)).
  return std::max(std::nextafter(1.0, 2.0), lambda);
}

int64_t context_length_for_scaling(const ModelSpec& spec, double lambda) {
  if (lambda <= 1.0) return spec.max_seq_len;
  double d = spec.head_dim, dc = rope_critical_dim(spec), b = spec.rope_theta;
  // The relative nudge absorbs pow() rounding, so that the lambda rope_scaling_for_length picks
  // for T always covers T itself (T / 2pi -> lambda -> T - 1e-12 would otherwise floor to T - 1).
  double t = kTwoPi * std::pow(lambda * b, dc / d) * (1.0 + 1e-9);
  if (!std::isfinite(t) || t > 1e9) t = 1e9;
  return std::max<int64_t>(spec.max_seq_len, static_cast<int64_t>(std::floor(t)));
}

}  // namespace maskkv
