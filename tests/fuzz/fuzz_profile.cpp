// A MaskKV profile (JSON) -> parse_profile, with and without an expected fingerprint.
// Invariants on success: the arrays have the declared sizes and hold finite non-negative numbers.
#include <cmath>
#include <string>

#include "eviction/profile.h"
#include "fuzz_common.h"

namespace {

int fuzz_profile(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const char* fp : {"", "00c0ffee00c0ffee"}) {
    maskkv::Profile p;
    maskkv::Code c = maskkv_fuzz::expect_clean([&] { p = maskkv::parse_profile(text, "fuzz-profile.json", fp); });
    if (c != maskkv::Code::ok) {
      maskkv_fuzz::check(c == maskkv::Code::format || (c == maskkv::Code::invalid_argument && *fp),
                         "parse_profile failed with an unexpected code");
      continue;
    }
    maskkv_fuzz::check(p.n_layers >= 1 && p.n_kv_heads >= 1, "non-positive profile dims");
    maskkv_fuzz::check(p.layer_importance.size() == static_cast<size_t>(p.n_layers), "layer_importance size");
    maskkv_fuzz::check(p.head_prompt_preference.size() == static_cast<size_t>(p.n_layers), "preference rows");
    for (double v : p.layer_importance) maskkv_fuzz::check(std::isfinite(v) && v >= 0, "bad importance");
    for (const auto& row : p.head_prompt_preference) {
      maskkv_fuzz::check(row.size() == static_cast<size_t>(p.n_kv_heads), "preference row size");
      for (double v : row) maskkv_fuzz::check(std::isfinite(v) && v >= 0, "bad preference");
    }
  }
  return 0;
}

}  // namespace

MASKKV_FUZZ_TARGET("profile", fuzz_profile)
