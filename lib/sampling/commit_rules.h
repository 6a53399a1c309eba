// How many and which masked positions a step commits, given their confidences. Results are
// indices into the confidence vector, ordered by descending confidence (ties: lower index).
#pragma once

#include <cstddef>
#include <vector>

namespace maskkv {

// The k most confident (all when k >= size).
std::vector<size_t> select_top_k(const std::vector<double>& confidence, size_t k);
// Fast-dLLM threshold rule: every confidence >= tau, and always at least the most confident.
std::vector<size_t> select_threshold(const std::vector<double>& confidence, double tau);
// Fast-dLLM factor rule: sorted descending c(1) >= c(2) >= ..., the largest n with
// c(n) >= 1 - factor / (n + 1), at least one.
std::vector<size_t> select_factor(const std::vector<double>& confidence, double factor);

// LLaDA's schedule: M masks over s steps, step j commits floor(M/s) + (j < M mod s).
std::vector<int> llada_schedule(int masks, int steps);

}  // namespace maskkv
