#include "eviction/scores.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace maskkv {

HeadScores mask_voting_scores(const float* col, int H, int Hkv, int64_t n_cols, int64_t n_prompt) {
  const int g = H / Hkv;
  HeadScores out(Hkv, std::vector<float>(n_prompt, 0.0f));
  // GQA: the g query heads sharing a KV head vote with equal weight (their mean).
  for (int h = 0; h < H; ++h)
    for (int64_t j = 0; j < n_prompt; ++j) out[h / g][j] += col[h * n_cols + j] / g;
  return out;
}

HeadScores snapkv_scores(const float* col, int H, int Hkv, int64_t n_cols, int64_t prefix,
                         int kernel, bool avg_pool) {
  const int g = H / Hkv, half = kernel / 2;
  HeadScores out(Hkv, std::vector<float>(prefix, 0.0f));
  std::vector<float> pooled(prefix);
  for (int h = 0; h < H; ++h) {
    const float* w = col + h * n_cols;
    for (int64_t j = 0; j < prefix; ++j) {
      const int64_t lo = std::max<int64_t>(0, j - half), hi = std::min<int64_t>(prefix - 1, j + half);
      if (avg_pool) {
        float sum = 0;
        for (int64_t t = lo; t <= hi; ++t) sum += w[t];
        pooled[j] = sum / kernel;
      } else {
        float m = w[lo];
        for (int64_t t = lo + 1; t <= hi; ++t) m = std::max(m, w[t]);
        pooled[j] = m;
      }
    }
    for (int64_t j = 0; j < prefix; ++j) out[h / g][j] += pooled[j] / g;
  }
  return out;
}

std::vector<double> head_prompt_preference(const float* col, int H, int Hkv, int64_t n_cols,
                                           int64_t n_prompt) {
  const int g = H / Hkv;
  std::vector<double> to_prompt(Hkv, 0.0), to_response(Hkv, 0.0), out(Hkv, 0.0);
  for (int h = 0; h < H; ++h)
    for (int64_t j = 0; j < n_cols; ++j) (j < n_prompt ? to_prompt : to_response)[h / g] += col[h * n_cols + j];
  for (int h = 0; h < Hkv; ++h) {
    const double total = to_prompt[h] + to_response[h];
    out[h] = total > 0 ? to_prompt[h] / total : 0.0;
  }
  return out;
}

double layer_importance(const float* h_in, const float* attn_out, int64_t n, int64_t d) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    double dot = 0, a2 = 0, b2 = 0;
    for (int64_t t = 0; t < d; ++t) {
      const double a = h_in[i * d + t], b = a + attn_out[i * d + t];
      dot += a * b;
      a2 += a * a;
      b2 += b * b;
    }
    const double denom = std::sqrt(a2) * std::sqrt(b2);
    sum += denom > 0 ? dot / denom : 1.0;
  }
  return n > 0 ? 1.0 - sum / n : 0.0;
}

std::vector<int32_t> top_k_positions(const std::vector<float>& scores, int64_t k) {
  std::vector<int32_t> idx(scores.size());
  std::iota(idx.begin(), idx.end(), 0);
  k = std::max<int64_t>(0, std::min<int64_t>(k, static_cast<int64_t>(idx.size())));
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int32_t a, int32_t b) {
    return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
  });
  idx.resize(k);
  std::sort(idx.begin(), idx.end());
  return idx;
}

}  // namespace maskkv
