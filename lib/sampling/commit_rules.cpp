#include "sampling/commit_rules.h"

#include <algorithm>
#include <numeric>

namespace maskkv {

namespace {
std::vector<size_t> by_confidence(const std::vector<double>& c) {
  std::vector<size_t> order(c.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return c[a] > c[b]; });
  return order;
}
}  // namespace

std::vector<size_t> select_top_k(const std::vector<double>& c, size_t k) {
  std::vector<size_t> order = by_confidence(c);
  order.resize(std::min(k, order.size()));
  return order;
}

std::vector<size_t> select_threshold(const std::vector<double>& c, double tau) {
  std::vector<size_t> order = by_confidence(c);
  size_t n = 0;
  while (n < order.size() && c[order[n]] >= tau) ++n;
  order.resize(std::min(order.size(), std::max<size_t>(n, 1)));
  return order;
}

std::vector<size_t> select_factor(const std::vector<double>& c, double factor) {
  std::vector<size_t> order = by_confidence(c);
  size_t n = 0;
  for (size_t i = 0; i < order.size(); ++i)
    if (c[order[i]] >= 1.0 - factor / static_cast<double>(i + 2)) n = i + 1;
  order.resize(std::min(order.size(), std::max<size_t>(n, 1)));
  return order;
}

std::vector<int> llada_schedule(int masks, int steps) {
  std::vector<int> k(static_cast<size_t>(steps), masks / steps);
  for (int j = 0; j < masks % steps; ++j) ++k[j];
  return k;
}

}  // namespace maskkv
