// The offline MaskKV profile: per-layer importance and per-head prompt preference, measured
// once per model on a calibration set, saved as JSON with the fingerprint of its model.
#pragma once

#include <string>
#include <vector>

namespace maskkv {

struct Profile {
  std::string fingerprint;  // of the model it was measured on
  int n_layers = 0;
  int n_kv_heads = 0;
  int samples = 0;
  std::vector<double> layer_importance;                    // I^(l), [D]
  std::vector<std::vector<double>> head_prompt_preference;  // P_{l,h}, [D][H_kv]
};

// Reads a profile; throws Error(io|format) naming the file and field. When expected_fingerprint
// is not empty, a profile of another model is rejected (Error(invalid_argument)).
Profile load_profile(const std::string& path, const std::string& expected_fingerprint);
// The same from the file's text (fuzzers, tests); `origin` names it in error messages.
Profile parse_profile(const std::string& text, const std::string& origin,
                      const std::string& expected_fingerprint);
void save_profile(const Profile& profile, const std::string& path);

}  // namespace maskkv
