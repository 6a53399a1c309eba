// Offline MaskKV calibration: runs the prefill (prompt + masks) of each calibration sample and
// averages the layer importance I^(l) and the head prompt preference P_{l,h} into a Profile.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "eviction/profile.h"
#include "model/model.h"

namespace maskkv {

class Calibrator {
 public:
  Calibrator(std::shared_ptr<const Model> model, int gen_length, double rope_scaling = 1.0);

  // Adds one sample: prompt ids followed by gen_length masks through the model.
  void add_sample(const std::vector<int32_t>& prompt);
  int samples() const { return samples_; }
  // The averaged profile, stamped with the model's fingerprint.
  Profile profile() const;

 private:
  std::shared_ptr<const Model> model_;
  int gen_length_;
  double rope_scaling_;
  int samples_ = 0;
  std::vector<double> importance_;
  std::vector<std::vector<double>> preference_;
};

}  // namespace maskkv
