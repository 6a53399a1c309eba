// SentencePiece .model bytes -> load_sentencepiece_bytes (our checks of the normalizer tables,
// then libsentencepiece); when it loads, encode and decode fixed strings, text cut from the
// input itself, and every id. libsentencepiece trusts parts of the file (the precompiled
// normalizer trie), so a crash here is a check missing on our side. A model that cannot
// cover a text fails with format, never internal.
#include <string>

#include "fuzz_common.h"
#include "tokenizer/tokenizer.h"

namespace {

int fuzz_spm_model(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  std::shared_ptr<maskkv::tok::Tokenizer> t;
  maskkv::Code c = maskkv_fuzz::expect_clean([&] { t = maskkv::tok::load_sentencepiece_bytes(bytes, "fuzz.model"); });
  if (c != maskkv::Code::ok) {
    maskkv_fuzz::check(c == maskkv::Code::format, "load_sentencepiece_bytes failed with an unexpected code");
    return 0;
  }
  const int32_t vocab = t->vocab_size();
  maskkv_fuzz::check(vocab > 0, "a loaded model with no vocabulary");
  // The fixed strings cover the normalizer's interesting classes (full-width, ligatures,
  // combining marks, spaces); the input's own bytes reach the pieces it defines.
  std::string tail = maskkv_fuzz::valid_utf8(bytes) ? bytes.substr(0, 256) : std::string();
  for (const std::string& s : {std::string(""), std::string("Hello world! 123"),
                               std::string("caf\xC3\xA9 \xEF\xBC\xA1\xEF\xAC\x81 e\xCC\x81  \t\n x</s><s>"),
                               std::string("\xF0\x9F\x98\x80 \xE2\x96\x81 ab \xE2\x85\xA0"), tail}) {
    std::vector<int32_t> ids;
    c = maskkv_fuzz::expect_clean([&] { ids = t->encode(s, true); });
    // format: a model whose pieces cannot cover the text.
    maskkv_fuzz::check(c == maskkv::Code::ok || c == maskkv::Code::format, "encode failed with an unexpected code");
    if (c != maskkv::Code::ok) continue;
    maskkv_fuzz::check_ids_and_decode(*t, ids, vocab, true);
  }
  for (int32_t id = 0; id < vocab && id < 256; ++id) {
    c = maskkv_fuzz::expect_clean([&] {
      (void)t->id_to_token(id);
      (void)t->is_special(id);
      maskkv_fuzz::check(maskkv_fuzz::valid_utf8(t->decode(&id, 1, id & 1)), "decode produced invalid UTF-8");
    });
    maskkv_fuzz::check(c == maskkv::Code::ok || c == maskkv::Code::format, "an id inside the vocabulary failed to decode");
  }
  return 0;
}

}  // namespace

MASKKV_FUZZ_TARGET("spm_model", fuzz_spm_model)
