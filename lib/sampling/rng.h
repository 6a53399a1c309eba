// The seeded generator every random draw of a generation comes from (docs/sampling.md):
// SplitMix64, uniform() in (0, 1). The Python reference implements the same bit for bit.
#pragma once

#include <cstdint>

namespace maskkv {

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}

  uint64_t next_u64() {
    state_ += 0x9E3779B97F4A7C15ull;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  // A double in [2^-53, 1 - 2^-53]: never 0 or 1, so -log(u) is finite and positive. (52 bits:
  // with 53, (2^53 - 1 + 0.5) * 2^-53 would round to exactly 1.)
  double uniform() { return (static_cast<double>(next_u64() >> 12) + 0.5) * 0x1.0p-52; }

 private:
  uint64_t state_;
};

}  // namespace maskkv
