#include "sampling/distributions.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace maskkv {

namespace {
constexpr double kNegInf = -std::numeric_limits<double>::infinity();
}

size_t argmax(const double* x, size_t n) {
  size_t best = 0;
  for (size_t i = 1; i < n; ++i)
    if (x[i] > x[best]) best = i;
  return best;
}

size_t argmax(const float* x, size_t n) {
  size_t best = 0;
  for (size_t i = 1; i < n; ++i)
    if (x[i] > x[best]) best = i;
  return best;
}

void softmax(const double* x, size_t n, std::vector<double>& p) {
  p.resize(n);
  double m = kNegInf;
  for (size_t i = 0; i < n; ++i) m = std::max(m, x[i]);
  double sum = 0;
  for (size_t i = 0; i < n; ++i) {
    p[i] = x[i] == kNegInf ? 0.0 : std::exp(x[i] - m);
    sum += p[i];
  }
  for (size_t i = 0; i < n; ++i) p[i] /= sum;
}

void dream_probs(const float* logits, size_t n, double temperature, double top_p, int top_k,
                 std::vector<double>& probs) {
  std::vector<double> l(logits, logits + n);
  if (temperature > 0)
    for (double& v : l) v /= temperature;
  if (top_p < 1.0) {
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return l[a] > l[b]; });
    std::vector<double> sorted(n), p;
    for (size_t i = 0; i < n; ++i) sorted[i] = l[order[i]];
    softmax(sorted.data(), n, p);
    // Remove a token once the cumulative probability before it already exceeds top_p (the
    // original's "shift right by one": the first token is always kept).
    double cum = 0;
    for (size_t i = 0; i < n; ++i) {
      bool remove = i > 0 && cum > top_p;
      cum += p[i];
      if (remove) l[order[i]] = kNegInf;
    }
  }
  if (top_k > 0 && static_cast<size_t>(top_k) < n) {
    std::vector<double> copy(l);
    std::nth_element(copy.begin(), copy.begin() + (top_k - 1), copy.end(), std::greater<double>());
    const double kth = copy[top_k - 1];
    for (double& v : l)
      if (v < kth) v = kNegInf;
  }
  softmax(l.data(), n, probs);
}

size_t categorical(const std::vector<double>& w, double u) {
  double total = 0;
  for (double v : w) total += v;
  const double target = u * total;
  double cum = 0;
  size_t last = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    if (w[i] <= 0) continue;
    cum += w[i];
    last = i;
    if (cum > target) return i;
  }
  return last;  // rounding left the target just above the total
}

}  // namespace maskkv
