#include "model/row_refresh.h"

#include <numeric>
#include <string>

#include "core/error.h"
#include "model/transformer.h"

namespace maskkv {

float* ensure_size(Backend& be, Buf<float>& b, int64_t n) {
  if (b.size() < static_cast<size_t>(n)) {
    b.reset();
    b = Buf<float>(be, static_cast<size_t>(n));
  }
  return b.data();
}

RowRefresh::RowRefresh(Backend& be, std::vector<int64_t> rows, int64_t n) : be_(be), rows_(std::move(rows)) {
  for (size_t i = 0; i < rows_.size(); ++i)
    if (rows_[i] < 0 || rows_[i] >= n || (i > 0 && rows_[i] <= rows_[i - 1]))
      fail(Code::internal, "rows to refresh must ascend within the block of " + std::to_string(n) + " rows");
  all_ = static_cast<int64_t>(rows_.size()) == n;
}

RowRefresh::RowRefresh(Backend& be, int64_t n) : be_(be), all_(true) {
  rows_.resize(static_cast<size_t>(n));
  std::iota(rows_.begin(), rows_.end(), int64_t{0});
}

const float* RowRefresh::take(const float* src, int64_t width, Buf<float>& dst) {
  if (all_) return src;
  float* out = ensure_size(be_, dst, m() * width);
  be_.gather(src, offsets(width).data(), m(), width, out);
  return out;
}

void RowRefresh::put(const float* src, int64_t width, float* dst) {
  if (all_) {
    if (src != dst) be_.copy(dst, src, static_cast<size_t>(m() * width) * sizeof(float));
    return;
  }
  be_.scatter(src, offsets(width).data(), m(), width, dst);
}

const std::vector<int64_t>& RowRefresh::offsets(int64_t width) {
  std::vector<int64_t>& o = offsets_[width];
  if (o.empty()) o = row_offsets(rows_, width);
  return o;
}

}  // namespace maskkv
