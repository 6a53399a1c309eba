// parse_gguf on arbitrary bytes, then the image read as a model (names, metadata, dequantized
// tensors, LLaDA's row order) and as a tokenizer. Invariants on a successful parse: each
// tensor lies inside the buffer at a multiple of the alignment from the data section, its byte
// count matches its shape and type, no two overlap; the model and tokenizer steps may only
// fail with format, unsupported or not_found.
#include <algorithm>
#include <vector>

#include "core/ggml_blocks.h"
#include "fuzz_common.h"
#include "io/gguf.h"
#include "io/gguf_checkpoint.h"
#include "io/gguf_tokenizer.h"

namespace {

bool expected(maskkv::Code c) {
  return c == maskkv::Code::format || c == maskkv::Code::unsupported || c == maskkv::Code::not_found;
}

int fuzz_gguf(const uint8_t* data, size_t size) {
  maskkv::GgufImage img;
  maskkv::Code c = maskkv_fuzz::expect_clean([&] { img = maskkv::parse_gguf(data, size, "fuzz.gguf"); });
  if (c != maskkv::Code::ok) {
    maskkv_fuzz::check(c == maskkv::Code::format || c == maskkv::Code::unsupported,
                       "parse_gguf failed with an unexpected code");
    return 0;
  }
  maskkv_fuzz::check(img.alignment > 0 && (img.alignment & (img.alignment - 1)) == 0, "alignment not a power of two");
  std::vector<std::pair<const uint8_t*, const uint8_t*>> ranges;
  unsigned sum = 0;
  for (const auto& t : img.tensors) {
    maskkv_fuzz::check(t.data >= data && t.data + t.nbytes <= data + size, "tensor '" + t.name + "' outside the buffer");
    int64_t block = 0;
    size_t block_bytes = 0;
    maskkv_fuzz::check(maskkv::ggml::block_shape(t.type, block, block_bytes), "unreadable type accepted");
    uint64_t numel = 1;
    for (int64_t d : t.ne) {
      maskkv_fuzz::check(d > 0, "non-positive dimension");
      numel *= static_cast<uint64_t>(d);
    }
    maskkv_fuzz::check(numel == static_cast<uint64_t>(t.numel), "numel disagrees");
    maskkv_fuzz::check(t.ne[0] % block == 0 && numel / block * block_bytes == t.nbytes, "nbytes != blocks * block size");
    for (size_t i = 0; i < t.nbytes; ++i) sum += t.data[i];  // ASan checks every byte is ours
    if (t.nbytes) ranges.emplace_back(t.data, t.data + t.nbytes);
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i)
    maskkv_fuzz::check(ranges[i].first >= ranges[i - 1].second, "tensor ranges overlap");
  for (size_t i = 1; i < img.tensors.size(); ++i)
    maskkv_fuzz::check((img.tensors[i].data - img.tensors[0].data) % static_cast<int64_t>(img.alignment) == 0,
                       "tensor offsets not aligned");

  c = maskkv_fuzz::expect_clean([&] { (void)maskkv::gguf_checkpoint(img, "fuzz.gguf", nullptr); });
  maskkv_fuzz::check(c == maskkv::Code::ok || expected(c), "gguf_checkpoint failed with an unexpected code");
  c = maskkv_fuzz::expect_clean([&] {
    auto t = maskkv::gguf_tokenizer(img, "fuzz.gguf");
    const auto ids = t->encode("hello world <|mask|> 123", true);
    (void)t->decode(ids, false);
  });
  maskkv_fuzz::check(c == maskkv::Code::ok || expected(c), "gguf_tokenizer failed with an unexpected code");
  return static_cast<int>(sum & 0);
}

}  // namespace

MASKKV_FUZZ_TARGET("gguf", fuzz_gguf)
