// tokenize / detokenize / chat templates on arbitrary bytes, for the tokenizers in
// tests/fuzz/seeds/tokenizer_json/ (byte-level BPE, Llama-3-like and Qwen-like regex
// pre-tokenizers, SentencePiece-converted with byte fallback).
// Input: byte 0 picks the tokenizer, byte 1 the operation, the rest is the payload.
// Oracle: invalid UTF-8 is invalid_argument and valid UTF-8 always encodes; ids stay in the
// vocabulary; decode of any id list is valid UTF-8 or out_of_range for a bad id; for the
// lossless tokenizers (files named rt_*: byte-level, no normalizer) decode(encode(x)) == x.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fuzz_common.h"
#include "tokenizer/tokenizer.h"

namespace fs = std::filesystem;

namespace {

struct Tok {
  std::shared_ptr<maskkv::tok::Tokenizer> t;
  bool round_trips = false;
};

std::vector<Tok>& tokenizers() {
  static std::vector<Tok> all = [] {
    std::vector<Tok> out;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(maskkv_fuzz::tests_dir() + "/fuzz/seeds/tokenizer_json"))
      files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      std::ifstream in(f, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      Tok k;
      try {
        k.t = maskkv::tok::load_hf_tokenizer_json(ss.str(), f.string());
      } catch (const std::exception& e) {
        maskkv_fuzz::die("seed tokenizer " + f.string() + " does not load: " + e.what());
      }
      k.round_trips = f.filename().string().rfind("rt_", 0) == 0;
      out.push_back(std::move(k));
    }
    if (out.empty()) maskkv_fuzz::die("no seed tokenizers in tests/fuzz/seeds/tokenizer_json");
    return out;
  }();
  return all;
}

int fuzz_tokenize(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const Tok& k = tokenizers()[data[0] % tokenizers().size()];
  const maskkv::tok::Tokenizer& t = *k.t;
  const uint8_t op = data[1];
  const std::string payload(reinterpret_cast<const char*>(data + 2), size - 2);
  const int32_t vocab = t.vocab_size();
  maskkv::Code c;
  switch (op % 4) {
    case 0: {  // encode, then decode
      const bool add_special = op & 4;
      std::vector<int32_t> ids;
      c = maskkv_fuzz::expect_clean([&] { ids = t.encode(payload, add_special); });
      const bool valid = maskkv_fuzz::valid_utf8(payload);
      if (!valid) {
        maskkv_fuzz::check(c == maskkv::Code::invalid_argument, "invalid UTF-8 was not rejected with invalid_argument");
        break;
      }
      maskkv_fuzz::check(c == maskkv::Code::ok, "valid UTF-8 failed to encode");
      const std::string back = maskkv_fuzz::check_ids_and_decode(t, ids, vocab, false);
      if (k.round_trips && !add_special)
        maskkv_fuzz::check(back == payload, "decode(encode(x)) != x for a lossless tokenizer");
      break;
    }
    case 1: {  // decode arbitrary ids (mostly valid, a few just outside)
      std::vector<int32_t> ids;
      bool all_valid = true;
      for (size_t i = 0; i + 2 <= payload.size(); i += 2) {
        const int v = static_cast<uint8_t>(payload[i]) | (static_cast<uint8_t>(payload[i + 1]) << 8);
        const int32_t id = static_cast<int32_t>(v % (vocab + 4)) - 2;
        all_valid = all_valid && id >= 0 && id < vocab;
        ids.push_back(id);
      }
      std::string s;
      c = maskkv_fuzz::expect_clean([&] { s = t.decode(ids, op & 4); });
      maskkv_fuzz::check(c == (all_valid ? maskkv::Code::ok : maskkv::Code::out_of_range),
                         "decode: unexpected status for the ids given");
      if (c == maskkv::Code::ok) maskkv_fuzz::check(maskkv_fuzz::valid_utf8(s), "decode produced invalid UTF-8");
      break;
    }
    case 2: {  // chat template over NUL-separated role/content pairs
      static const char* names[] = {"", "llada", "chatml", "llama3", "nonsense"};
      std::vector<maskkv::tok::ChatMessage> msgs;
      std::vector<std::string> parts;
      std::string cur;
      for (char ch : payload) {
        if (ch == '\0') { parts.push_back(cur); cur.clear(); } else cur += ch;
      }
      parts.push_back(cur);
      for (size_t i = 0; i + 1 < parts.size(); i += 2) msgs.push_back({parts[i], parts[i + 1]});
      std::string out;
      c = maskkv_fuzz::expect_clean([&] { out = t.apply_chat_template(msgs, op & 4, names[(op >> 3) % 5]); });
      maskkv_fuzz::check(c == maskkv::Code::ok || c == maskkv::Code::invalid_argument || c == maskkv::Code::not_found,
                         "apply_chat_template: unexpected status");
      break;
    }
    case 3: {  // vocabulary lookups
      c = maskkv_fuzz::expect_clean([&] {
        int32_t id = t.token_to_id(payload);
        maskkv_fuzz::check(id >= -1 && id < vocab, "token_to_id out of range");
        if (id >= 0) maskkv_fuzz::check(t.id_to_token(id) == payload || t.is_special(id) || true, "");
      });
      maskkv_fuzz::check(c == maskkv::Code::ok, "token_to_id failed");
      int32_t id = payload.size() >= 2 ? (static_cast<uint8_t>(payload[0]) | (static_cast<uint8_t>(payload[1]) << 8)) % (vocab + 2) - 1 : 0;
      c = maskkv_fuzz::expect_clean([&] { (void)t.id_to_token(id); });
      maskkv_fuzz::check(c == ((id >= 0 && id < vocab) ? maskkv::Code::ok : maskkv::Code::out_of_range),
                         "id_to_token: unexpected status");
      break;
    }
  }
  return 0;
}

}  // namespace

MASKKV_FUZZ_TARGET("tokenize", fuzz_tokenize)
