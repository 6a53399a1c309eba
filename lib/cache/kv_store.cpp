#include "cache/kv_store.h"

#include <numeric>

namespace maskkv {

Buf<float> copy_rows(Backend& be, const float* m, int64_t begin, int64_t n, int64_t width) {
  Buf<float> out(be, static_cast<size_t>(n * width));
  be.copy(out.data(), m + begin * width, out.bytes());
  return out;
}

void PromptKV::assign(Backend& be, const float* k_full, const float* v_full, int H, int d,
                      std::vector<std::vector<int32_t>> kept_positions) {
  kept = std::move(kept_positions);
  offsets.assign(H + 1, 0);
  for (int h = 0; h < H; ++h) offsets[h + 1] = offsets[h] + static_cast<int64_t>(kept[h].size());
  // Row r of the compacted buffer comes from position kept[h][i] of head h.
  std::vector<int64_t> src(static_cast<size_t>(offsets[H]));
  const int64_t ld = int64_t(H) * d;
  for (int h = 0; h < H; ++h)
    for (size_t i = 0; i < kept[h].size(); ++i) src[offsets[h] + i] = kept[h][i] * ld + int64_t(h) * d;
  k = Buf<float>();  // release the old buffers before the new ones are allocated
  v = Buf<float>();
  k = Buf<float>(be, static_cast<size_t>(offsets[H] * d));
  v = Buf<float>(be, k.size());
  be.gather(k_full, src.data(), offsets[H], d, k.data());
  be.gather(v_full, src.data(), offsets[H], d, v.data());
}

void PromptKV::assign_all(Backend& be, const float* k_full, const float* v_full, int H, int d, int64_t n_prompt) {
  std::vector<int32_t> all(static_cast<size_t>(n_prompt));
  std::iota(all.begin(), all.end(), 0);
  assign(be, k_full, v_full, H, d, std::vector<std::vector<int32_t>>(H, all));
}

}  // namespace maskkv
