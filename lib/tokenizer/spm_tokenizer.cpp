// A SentencePiece .model (unigram or BPE) through libsentencepiece, behind the Tokenizer
// interface. SentencePieceProcessor's Encode/Decode are const and thread-safe.
#include <sentencepiece_processor.h>

#include "core/error.h"
#include "core/read_file.h"
#include "tokenizer/spm_check.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

namespace maskkv::tok {
namespace {

class SpmTokenizer final : public Tokenizer {
 public:
  // `bytes`: a serialized ModelProto; `path` names it in messages.
  SpmTokenizer(const std::string& bytes, const std::string& path) : path_(path) {
    if (bytes.empty()) fail(Code::format, path + ": empty SentencePiece model");
    if (bytes.size() > kMaxTokenizerFileBytes)
      fail(Code::format, too_large_message(path, bytes.size(), kMaxTokenizerFileBytes, "a tokenizer file"));
    // libsentencepiece trusts the normalizer tables it is given; check them first.
    check_spm_model(bytes, path);
    sentencepiece::util::Status st;
    try {
      st = sp_.LoadFromSerializedProto(bytes);
    } catch (const std::exception& e) {  // its bundled darts-clone throws on some bad inputs
      fail(Code::format, path + ": not a valid SentencePiece model (" + e.what() + ")");
    }
    if (!st.ok())
      fail(Code::format, path + ": not a valid SentencePiece model (" + st.ToString() + ")");
    n_ = sp_.GetPieceSize();
    if (n_ <= 0) fail(Code::format, path + ": SentencePiece model with an empty vocabulary");
    int32_t bos = sp_.bos_id(), eos = sp_.eos_id();
    set_config(bos, bos >= 0 ? sp_.IdToPiece(bos) : "", eos, eos >= 0 ? sp_.IdToPiece(eos) : "",
               "");
  }

  void set_add(bool bos, bool eos) {
    add_bos_ = bos;
    add_eos_ = eos;
  }

  std::vector<int32_t> encode(std::string_view text, bool add_special) const override {
    size_t bad = unicode::find_invalid_utf8(text);
    if (bad != std::string_view::npos)
      fail(Code::invalid_argument,
           "invalid UTF-8 in the text to tokenize at byte " + std::to_string(bad));
    std::vector<int> ids;
    auto st = sp_.Encode(absl::string_view(text.data(), text.size()), &ids);
    // A model that cannot cover the text (its pieces and normalizer disagree) is a bad file.
    if (!st.ok()) fail(Code::format, path_ + ": SentencePiece cannot encode this text: " + st.ToString());
    std::vector<int32_t> out;
    out.reserve(ids.size() + 2);
    if (add_special && add_bos_ && bos_id_ >= 0) out.push_back(bos_id_);
    out.insert(out.end(), ids.begin(), ids.end());
    if (add_special && add_eos_ && eos_id_ >= 0) out.push_back(eos_id_);
    return out;
  }

  std::string decode(const int32_t* ids, size_t n, bool skip_special) const override {
    if (n > 0 && ids == nullptr) fail(Code::invalid_argument, "ids must not be NULL");
    for (size_t i = 0; i < n; ++i) check_id(ids[i]);
    // Control tokens (BOS, EOS, ...) decode to nothing in SentencePiece; unless skipped we
    // render them by their piece, decoding the runs of ordinary ids between them.
    std::string out;
    std::vector<int> run;
    bool first_run = true;
    auto flush = [&]() {
      if (run.empty()) return;
      std::string text;
      auto st = sp_.Decode(run, &text);
      if (!st.ok()) fail(Code::format, path_ + ": SentencePiece cannot decode these ids: " + st.ToString());
      // SentencePiece drops the leading space (the dummy prefix) of its output; only the first
      // run of ordinary ids starts the text, so later runs keep theirs.
      if (!first_run) {
        std::string p = sp_.IdToPiece(run[0]);
        if (p.rfind("\xE2\x96\x81", 0) == 0 && (text.empty() || text[0] != ' ')) text = " " + text;
      }
      out += text;
      run.clear();
      first_run = false;
    };
    for (size_t i = 0; i < n; ++i) {
      int id = ids[i];
      if (sp_.IsControl(id)) {
        if (skip_special) continue;
        flush();
        out += sp_.IdToPiece(id);
        continue;
      }
      run.push_back(id);
    }
    flush();
    return unicode::to_valid_utf8_lossy(out);
  }

  int32_t vocab_size() const override { return n_; }
  int32_t token_to_id(std::string_view token) const override {
    int id = sp_.PieceToId(absl::string_view(token.data(), token.size()));
    // PieceToId answers unk for unknown pieces.
    if (id == sp_.unk_id() && sp_.IdToPiece(id) != token) return -1;
    return id;
  }
  std::string id_to_token(int32_t id) const override {
    check_id(id);
    return sp_.IdToPiece(id);
  }
  bool is_special(int32_t id) const override {
    check_id(id);
    return sp_.IsControl(id);
  }
  const char* kind() const override { return "sentencepiece"; }

 private:
  void check_id(int32_t id) const {
    if (id < 0 || id >= n_)
      fail(Code::out_of_range, "token id " + std::to_string(id) + " is outside the vocabulary [0, " +
                                   std::to_string(n_) + ")");
  }
  sentencepiece::SentencePieceProcessor sp_;
  std::string path_;  // the model file, for messages
  int32_t n_ = 0;
  bool add_bos_ = true;
  bool add_eos_ = false;
};

}  // namespace

std::shared_ptr<Tokenizer> load_sentencepiece_model(const std::string& path) {
  return std::make_shared<SpmTokenizer>(read_regular_file(path, kMaxTokenizerFileBytes, "a tokenizer file"), path);
}

std::shared_ptr<Tokenizer> load_sentencepiece_bytes(const std::string& bytes, const std::string& origin) {
  return std::make_shared<SpmTokenizer>(bytes, origin);
}

// Used by the loader to apply tokenizer_config.json's add_bos_token / add_eos_token.
void spm_set_add_special(Tokenizer& t, bool bos, bool eos) {
  if (auto* s = dynamic_cast<SpmTokenizer*>(&t)) s->set_add(bos, eos);
}

}  // namespace maskkv::tok
