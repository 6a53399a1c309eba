#include "cache/kv_store.h"

#include <algorithm>
#include <numeric>

namespace maskkv {

void PromptKV::assign(const float* k_full, const float* v_full, int H, int d,
                      std::vector<std::vector<int32_t>> kept_positions) {
  kept = std::move(kept_positions);
  offsets.assign(H + 1, 0);
  for (int h = 0; h < H; ++h) offsets[h + 1] = offsets[h] + static_cast<int64_t>(kept[h].size());
  k.assign(static_cast<size_t>(offsets[H] * d), 0.0f);
  v.assign(k.size(), 0.0f);
  k.shrink_to_fit();
  v.shrink_to_fit();
  const int64_t ld = int64_t(H) * d;
  for (int h = 0; h < H; ++h)
    for (size_t i = 0; i < kept[h].size(); ++i) {
      const int64_t src = kept[h][i] * ld + int64_t(h) * d, dst = (offsets[h] + int64_t(i)) * d;
      std::copy(k_full + src, k_full + src + d, k.begin() + dst);
      std::copy(v_full + src, v_full + src + d, v.begin() + dst);
    }
}

void PromptKV::assign_all(const float* k_full, const float* v_full, int H, int d, int64_t n_prompt) {
  std::vector<int32_t> all(static_cast<size_t>(n_prompt));
  std::iota(all.begin(), all.end(), 0);
  assign(k_full, v_full, H, d, std::vector<std::vector<int32_t>>(H, all));
}

}  // namespace maskkv
