#include "eviction/budgets.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <tuple>

namespace maskkv {

int64_t snap_window(int window, int64_t n_prompt, int64_t budget) {
  return std::max<int64_t>(0, std::min<int64_t>({static_cast<int64_t>(window), n_prompt, budget}));
}

std::vector<int64_t> pyramid_prefix_budgets(int D, int64_t budget, int64_t w, int64_t n_p, int beta) {
  const int64_t b = budget - w, cap = n_p - w;
  int64_t lo = b / beta, hi = 2 * b - lo;
  if (hi >= cap) {
    hi = cap;
    lo = 2 * b - hi;
  }
  const int64_t step = D > 1 ? (hi - lo) / (D - 1) : 0;
  std::vector<int64_t> out(D);
  int64_t total = 0;
  for (int l = 0; l < D; ++l) total += (out[l] = std::min(cap, hi - l * step));
  // The integer step leaves the sum at or above D * b: take the excess back one token at a
  // time from the largest budgets (shallowest layers first) so that the mean is exactly b.
  int64_t excess = total - int64_t(D) * b;
  for (int l = 0; excess > 0; l = (l + 1) % D)
    if (out[l] > 0) {
      --out[l];
      --excess;
    }
  return out;
}

std::vector<int64_t> adakv_prefix_budgets(const HeadScores& scores, int64_t budget, int64_t w,
                                          double floor_fraction) {
  const int H = static_cast<int>(scores.size());
  const int64_t b = budget - w;
  const int64_t prefix = H > 0 ? static_cast<int64_t>(scores[0].size()) : 0;
  const int64_t floor_k = static_cast<int64_t>(std::floor(floor_fraction * b));
  // Global top H * b over every head's prefix scores (ties: lower head, then lower position).
  std::vector<std::tuple<float, int, int64_t>> all;
  all.reserve(static_cast<size_t>(H * prefix));
  for (int h = 0; h < H; ++h)
    for (int64_t j = 0; j < prefix; ++j) all.emplace_back(scores[h][j], h, j);
  const size_t take = std::min(all.size(), static_cast<size_t>(H * b));
  std::partial_sort(all.begin(), all.begin() + take, all.end(), [](const auto& a, const auto& c) {
    if (std::get<0>(a) != std::get<0>(c)) return std::get<0>(a) > std::get<0>(c);
    if (std::get<1>(a) != std::get<1>(c)) return std::get<1>(a) < std::get<1>(c);
    return std::get<2>(a) < std::get<2>(c);
  });
  std::vector<int64_t> count(H, 0), out(H);
  for (size_t i = 0; i < take; ++i) ++count[std::get<1>(all[i])];
  for (int h = 0; h < H; ++h)
    out[h] = std::min<int64_t>(prefix, static_cast<int64_t>(std::nearbyint(0.8 * count[h] + floor_k)));
  return out;
}

std::vector<int> kmeans3(const std::vector<double>& v) {
  const size_t n = v.size();
  std::vector<int> label(n, 0);
  if (n == 0) return label;
  std::vector<double> sorted(v);
  std::sort(sorted.begin(), sorted.end());
  double c[3] = {sorted.front(), sorted[(n - 1) / 2], sorted.back()};
  for (int round = 0; round < 100; ++round) {
    bool changed = round == 0;
    for (size_t i = 0; i < n; ++i) {
      int best = 0;
      for (int k = 1; k < 3; ++k)
        if (std::abs(v[i] - c[k]) < std::abs(v[i] - c[best])) best = k;
      if (best != label[i]) changed = true;
      label[i] = best;
    }
    if (!changed) break;
    for (int k = 0; k < 3; ++k) {
      double sum = 0;
      int count = 0;
      for (size_t i = 0; i < n; ++i)
        if (label[i] == k) {
          sum += v[i];
          ++count;
        }
      if (count > 0) c[k] = sum / count;
    }
  }
  // Renumber clusters by ascending centroid so that 0 is the lowest.
  int order[3] = {0, 1, 2};
  std::sort(order, order + 3, [&](int a, int b) { return c[a] < c[b] || (c[a] == c[b] && a < b); });
  int rank[3];
  for (int r = 0; r < 3; ++r) rank[order[r]] = r;
  for (auto& l : label) l = rank[l];
  return label;
}

std::vector<int64_t> squeeze_budgets(const std::vector<double>& scores, int64_t B, int64_t n_p,
                                     double low_fraction) {
  const int D = static_cast<int>(scores.size());
  std::vector<int> label = kmeans3(scores);
  // The least important cluster: the lowest centroid among the clusters that are not empty.
  const int low = *std::min_element(label.begin(), label.end());
  const int64_t n_low = std::count(label.begin(), label.end(), low);
  std::vector<int64_t> out(D, std::min(B, n_p));
  if (n_low == D) return out;
  const int64_t low_budget = static_cast<int64_t>(std::floor(low_fraction * B));
  const int64_t high_budget = (int64_t(D) * B - n_low * low_budget) / (D - n_low);
  for (int l = 0; l < D; ++l) out[l] = std::min(n_p, label[l] == low ? low_budget : high_budget);
  return out;
}

namespace {
// v, or v / max(v) when the sum of v overflows (non-negative finite values): the budgets
// depend only on ratios, and values that sum to a finite number are used as they are.
std::vector<double> scaled_to_max(const std::vector<double>& v) {
  std::vector<double> out(v);
  if (std::isfinite(std::accumulate(v.begin(), v.end(), 0.0))) return out;
  const double mx = *std::max_element(v.begin(), v.end());
  for (double& x : out) x /= mx;
  return out;
}
}  // namespace

std::vector<std::vector<int64_t>> maskkv_budgets(const std::vector<double>& I,
                                                 const std::vector<std::vector<double>>& P,
                                                 int64_t B, double alpha, double beta) {
  const int D = static_cast<int>(I.size());
  const double kp = double(B) * D, k_base = beta * B, k_imp = kp - D * k_base;
  // Huge but finite values (a profile of 1e308s) must not sum to inf and make the shares NaN.
  const std::vector<double> I_scaled = scaled_to_max(I);
  std::vector<bool> boundary(D, false);
  boundary[0] = boundary[D - 1] = true;
  if (D <= 2) boundary.assign(D, true);
  double i_b = 0, i_m = 0;
  int n_b = 0, n_m = 0;
  for (int l = 0; l < D; ++l)
    (boundary[l] ? (i_b += I_scaled[l], ++n_b) : (i_m += I_scaled[l], ++n_m));
  double k_group_b, k_group_m;
  if (n_m == 0) {
    k_group_b = k_imp;
    k_group_m = 0;
  } else if (i_b + i_m > 0) {
    k_group_b = k_imp * i_b / (i_b + i_m);
    k_group_m = k_imp - k_group_b;
  } else {
    k_group_b = k_imp * n_b / D;
    k_group_m = k_imp - k_group_b;
  }
  std::vector<std::vector<int64_t>> out(D);
  for (int l = 0; l < D; ++l) {
    const double k_l = k_base + (boundary[l] ? k_group_b / n_b : k_group_m / n_m);
    const int H = static_cast<int>(P[l].size());
    const std::vector<double> p = scaled_to_max(P[l]);
    const double sum = std::accumulate(p.begin(), p.end(), 0.0);
    out[l].resize(H);
    for (int h = 0; h < H; ++h) {
      const double p_hat = sum > 0 ? p[h] / sum : 1.0 / H;
      // + 1e-9: an argument that is an integer in exact arithmetic may land just below it.
      out[l][h] = static_cast<int64_t>(std::floor(alpha * k_l + (1 - alpha) * H * k_l * p_hat + 1e-9));
    }
  }
  return out;
}

}  // namespace maskkv
