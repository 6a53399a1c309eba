// parse_safetensors on arbitrary bytes: the header length, the JSON header, every tensor entry.
// Invariants on success: each tensor lies inside the buffer, its byte count matches its shape
// and dtype, and no two overlap.
#include <algorithm>
#include <vector>

#include "fuzz_common.h"
#include "io/safetensors.h"

namespace {

int fuzz_safetensors(const uint8_t* data, size_t size) {
  std::map<std::string, maskkv::TensorInfo> tensors;
  maskkv::Code c = maskkv_fuzz::expect_clean([&] { tensors = maskkv::parse_safetensors(data, size, "fuzz.safetensors"); });
  if (c != maskkv::Code::ok) {
    maskkv_fuzz::check(c == maskkv::Code::format || c == maskkv::Code::unsupported,
                       "parse_safetensors failed with an unexpected code");
    return 0;
  }
  std::vector<std::pair<const uint8_t*, const uint8_t*>> ranges;
  unsigned sum = 0;
  for (const auto& [name, t] : tensors) {
    maskkv_fuzz::check(name == t.name, "tensor name mismatch");
    maskkv_fuzz::check(t.data >= data + 8 && t.data + t.nbytes <= data + size, "tensor '" + name + "' outside the buffer");
    uint64_t numel = 1;
    for (int64_t d : t.shape) {
      maskkv_fuzz::check(d >= 0, "negative dimension");
      numel *= static_cast<uint64_t>(d);
    }
    maskkv_fuzz::check(numel * maskkv::dtype_size(t.dtype) == t.nbytes, "nbytes != numel * dtype size");
    maskkv_fuzz::check(static_cast<uint64_t>(t.numel()) == numel, "numel() disagrees");
    (void)t.shape_string();
    for (size_t i = 0; i < t.nbytes; ++i) sum += t.data[i];  // ASan checks every byte is ours
    if (t.nbytes) ranges.emplace_back(t.data, t.data + t.nbytes);
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i)
    maskkv_fuzz::check(ranges[i].first >= ranges[i - 1].second, "tensor ranges overlap");
  return static_cast<int>(sum & 0);
}

}  // namespace

MASKKV_FUZZ_TARGET("safetensors", fuzz_safetensors)
