// tokenizer.json, a NUL byte, then text: load, then encode and decode the text (also repeated
// to 16 KiB, where growth and quadratic matching show). Beyond the oracle of fuzz_tokenizer_json,
// the work must stay bounded: libFuzzer's -rss_limit_mb and -timeout (run_fuzzers.sh) catch a
// normalizer chain that grows without bound, a lookahead that rescans the text, or an added
// token matched at every position, and the ids must not outnumber what the limits allow.
#include <cstring>
#include <string>

#include "fuzz_common.h"
#include "tokenizer/tokenizer.h"

namespace {

int fuzz_tokenizer_encode(const uint8_t* data, size_t size) {
  const char* p = reinterpret_cast<const char*>(data);
  const char* nul = static_cast<const char*>(std::memchr(p, 0, size));
  const std::string_view json(p, nul ? static_cast<size_t>(nul - p) : size);
  const std::string text = nul ? std::string(nul + 1, p + size) : std::string("hello world");
  std::shared_ptr<maskkv::tok::Tokenizer> t;
  maskkv::Code c = maskkv_fuzz::expect_clean([&] { t = maskkv::tok::load_hf_tokenizer_json(json, "fuzz tokenizer.json"); });
  if (c != maskkv::Code::ok) {
    maskkv_fuzz::check(c == maskkv::Code::format || c == maskkv::Code::unsupported,
                       "load_hf_tokenizer_json failed with an unexpected code");
    return 0;
  }
  const int32_t vocab = t->vocab_size();
  std::string long_text;
  while (!text.empty() && long_text.size() < 16384) long_text += text;
  for (const std::string& s : {text, long_text}) {
    std::vector<int32_t> ids;
    c = maskkv_fuzz::expect_clean([&] { ids = t->encode(s, false); });
    if (!maskkv_fuzz::valid_utf8(s)) {
      maskkv_fuzz::check(c == maskkv::Code::invalid_argument, "invalid UTF-8 did not fail with invalid_argument");
      continue;
    }
    // format: no piece for some text (no unk token, no byte fallback), or a normalizer that
    // grows the text past its limit.
    maskkv_fuzz::check(c == maskkv::Code::ok || c == maskkv::Code::format, "encode failed with an unexpected code");
    if (c != maskkv::Code::ok) continue;
    // Every id covers at least one byte of the normalized text (at most 16 times the text plus
    // 4 KiB, hf_tokenizer.cpp growth_limit) or of a prefix a pre-tokenizer adds to a piece (at
    // most 4 bytes per piece, and a piece holds at least one byte).
    maskkv_fuzz::check(ids.size() <= 5 * (16 * s.size() + 4096), "more ids than the normalizer limit allows");
    maskkv_fuzz::check_ids_and_decode(*t, ids, vocab, true);  // format: a decoder chain past its limit
  }
  return 0;
}

}  // namespace

MASKKV_FUZZ_TARGET("tokenizer_encode", fuzz_tokenizer_encode)
