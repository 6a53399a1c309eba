// tokenizer.json text -> load_hf_tokenizer_json; when it loads, the tokenizer is exercised on
// fixed strings (encode, decode, specials, chat templates) with the same oracle as
// fuzz_tokenize: ids stay inside the vocabulary and decoded text is valid UTF-8.
#include <string>

#include "fuzz_common.h"
#include "tokenizer/tokenizer.h"

namespace {

int fuzz_tokenizer_json(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::shared_ptr<maskkv::tok::Tokenizer> t;
  maskkv::Code c = maskkv_fuzz::expect_clean([&] { t = maskkv::tok::load_hf_tokenizer_json(text, "fuzz tokenizer.json"); });
  if (c != maskkv::Code::ok) {
    maskkv_fuzz::check(c == maskkv::Code::format || c == maskkv::Code::unsupported,
                       "load_hf_tokenizer_json failed with an unexpected code");
    return 0;
  }
  const int32_t vocab = t->vocab_size();
  maskkv_fuzz::check(vocab >= 0, "negative vocabulary size");
  for (const char* s : {"", "Hello world! 123", "caf\xC3\xA9  \t\n x<|bos|><s>", "\xF0\x9F\x98\x80 \xE2\x96\x81 ab"}) {
    std::vector<int32_t> ids;
    c = maskkv_fuzz::expect_clean([&] { ids = t->encode(s, true); });
    // A tokenizer may lack pieces for some text (no unk token, no byte fallback): format.
    maskkv_fuzz::check(c == maskkv::Code::ok || c == maskkv::Code::format, "encode failed with an unexpected code");
    if (c != maskkv::Code::ok) continue;
    maskkv_fuzz::check_ids_and_decode(*t, ids, vocab, false);
  }
  for (int32_t id = 0; id < vocab && id < 64; ++id) {
    c = maskkv_fuzz::expect_clean([&] {
      (void)t->id_to_token(id);
      (void)t->is_special(id);
      std::string s = t->decode(&id, 1, id & 1);
      maskkv_fuzz::check(maskkv_fuzz::valid_utf8(s), "decode produced invalid UTF-8");
    });
    maskkv_fuzz::check(c == maskkv::Code::ok, "an id inside the vocabulary failed to decode");
  }
  const int32_t bad[] = {-1, vocab};
  for (int32_t id : bad) {
    c = maskkv_fuzz::expect_clean([&] { (void)t->decode(&id, 1, false); });
    maskkv_fuzz::check(c == maskkv::Code::out_of_range, "an id outside the vocabulary did not fail with out_of_range");
  }
  return 0;
}

}  // namespace

MASKKV_FUZZ_TARGET("tokenizer_json", fuzz_tokenizer_json)
