// Probability helpers of the samplers, in double precision. Ties go to the lowest index.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace maskkv {

// Index of the largest value (lowest index among equals).
size_t argmax(const double* x, size_t n);
size_t argmax(const float* x, size_t n);

// p = softmax(x) over n values, computed in double; -inf entries get probability 0.
void softmax(const double* x, size_t n, std::vector<double>& p);

// Dream's token distribution: logits / T (T > 0), then top-p, then top-k filtering (filtered
// entries get probability 0), then softmax. top_p >= 1 and top_k <= 0 mean off.
void dream_probs(const float* logits, size_t n, double temperature, double top_p, int top_k,
                 std::vector<double>& probs);

// The first index whose cumulative weight exceeds u * sum(weights); skips zero weights.
size_t categorical(const std::vector<double>& weights, double u);

}  // namespace maskkv
