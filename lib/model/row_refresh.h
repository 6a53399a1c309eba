// The rows of a block that one layer of the forward pass recomputes, and the moves between
// block-sized tensors [n, width] and compact ones [m, width] that this takes.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "backend/backend.h"

namespace maskkv {

// A buffer of at least n floats, reallocated only when it must grow (a layer may refresh more
// rows than the one before).
float* ensure_size(Backend& be, Buf<float>& b, int64_t n);

class RowRefresh {
 public:
  // An ascending subset of the block's n rows; throws Error(internal) otherwise.
  RowRefresh(Backend& be, std::vector<int64_t> rows, int64_t n);
  // Every row of the block.
  RowRefresh(Backend& be, int64_t n);
  int64_t m() const { return static_cast<int64_t>(rows_.size()); }
  bool all() const { return all_; }
  // The refreshed rows of src [n, width]: src itself when every row is, else gathered into dst.
  const float* take(const float* src, int64_t width, Buf<float>& dst);
  // Writes compact rows src [m, width] to their places in dst [n, width].
  void put(const float* src, int64_t width, float* dst);

 private:
  const std::vector<int64_t>& offsets(int64_t width);
  Backend& be_;
  std::vector<int64_t> rows_;
  bool all_ = false;
  std::map<int64_t, std::vector<int64_t>> offsets_;  // gather/scatter offsets by row width
};

}  // namespace maskkv
