// The tokenizer layer: text <-> ids for the model families maskkv runs, plus their chat
// templates. Two implementations sit behind one interface:
//   - HfTokenizer: a Hugging Face tokenizer.json (BPE model, byte-level or not, with its
//     normalizer, pre-tokenizer, added tokens, post-processor and decoder), id-for-id identical
//     to the Hugging Face `tokenizers` library for the files we support;
//   - SpmTokenizer: a SentencePiece .model (unigram or BPE) through libsentencepiece.
// Every method is const and safe to call from many threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace maskkv::tok {

struct ChatMessage {
  std::string role;     // "system", "user" or "assistant"
  std::string content;
};

// Byte ranges [begin, end) of a text.
using Ranges = std::vector<std::pair<size_t, size_t>>;

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Text (UTF-8) to ids. add_special: add BOS/EOS as the tokenizer's post-processor (or, for
  // SentencePiece, tokenizer_config.json's add_bos_token/add_eos_token) says. Invalid UTF-8
  // throws Error(invalid_argument) naming the byte offset.
  virtual std::vector<int32_t> encode(std::string_view text, bool add_special) const = 0;

  // Ids to UTF-8 text. skip_special drops special tokens (BOS, EOS, chat markers). Bytes that
  // do not form valid UTF-8 become U+FFFD. An id outside [0, vocab_size()) throws
  // Error(out_of_range).
  virtual std::string decode(const int32_t* ids, size_t n, bool skip_special) const = 0;
  std::string decode(const std::vector<int32_t>& ids, bool skip_special) const {
    return decode(ids.data(), ids.size(), skip_special);
  }

  // One past the largest valid id (model vocabulary plus added tokens).
  virtual int32_t vocab_size() const = 0;
  // The id of a token's exact string (for byte-level BPE, in the vocabulary's own spelling,
  // e.g. "Ġthe"; added tokens by their content), or -1.
  virtual int32_t token_to_id(std::string_view token) const = 0;
  // The vocabulary string of an id ("" when the id is a hole in the vocabulary); throws
  // out_of_range outside [0, vocab_size()).
  virtual std::string id_to_token(int32_t id) const = 0;
  // True for special tokens (skipped by decode(skip_special=true)).
  virtual bool is_special(int32_t id) const = 0;

  // BOS / EOS ids from tokenizer_config.json (or the SentencePiece model); -1 when none.
  int32_t bos_id() const { return bos_id_; }
  int32_t eos_id() const { return eos_id_; }
  const std::string& bos_token() const { return bos_token_; }
  const std::string& eos_token() const { return eos_token_; }
  // The chat template named by tokenizer_config.json ("llada", "chatml", "llama3"), or "".
  const std::string& chat_template_name() const { return chat_template_name_; }
  // "hf-bpe" or "sentencepiece".
  virtual const char* kind() const = 0;

  // Renders messages with a chat template. template_name "" picks the one the tokenizer's
  // directory names (tokenizer_config.json); "llada", "chatml" (Dream, Qwen) and "llama3"
  // override it. Throws not_found when "" and the directory names none, invalid_argument for
  // an unknown name or role.
  std::string apply_chat_template(const std::vector<ChatMessage>& messages,
                                  bool add_generation_prompt,
                                  std::string_view template_name) const;
  // Renders and tokenizes messages in one go. The template's markers become their special
  // tokens; the text of the message contents is encoded as plain text (a "<|eot_id|>" typed by
  // a user stays text) unless parse_special_in_content, which gives what encode() of the
  // rendered text gives. No post-processor specials are added: the template carries the BOS.
  std::vector<int32_t> encode_chat(const std::vector<ChatMessage>& messages,
                                   bool add_generation_prompt, std::string_view template_name,
                                   bool parse_special_in_content) const;
  // The family a template name or file resolves to ("llada", "chatml", "llama3"): "" is the
  // tokenizer's own (not_found when it names none); a name is checked; anything that looks like
  // a path is read as a Jinja chat template and recognised, never interpreted (io, unsupported).
  std::string resolve_chat_template(std::string_view template_name) const;

  // encode(text, false), except that special added tokens whose text overlaps one of the
  // protected byte ranges are not matched there: that text is tokenized as ordinary text.
  virtual std::vector<int32_t> encode_protected(std::string_view text, const Ranges& protect) const {
    (void)protect;  // SentencePiece never turns special-token text into the special token
    return encode(text, false);
  }

  // Set by the loader from tokenizer_config.json; not part of the thread-safe use.
  void set_config(int32_t bos_id, std::string bos_token, int32_t eos_id, std::string eos_token,
                  std::string chat_template_name) {
    bos_id_ = bos_id;
    bos_token_ = std::move(bos_token);
    eos_id_ = eos_id;
    eos_token_ = std::move(eos_token);
    chat_template_name_ = std::move(chat_template_name);
  }

 protected:
  int32_t bos_id_ = -1;
  int32_t eos_id_ = -1;
  std::string bos_token_;
  std::string eos_token_;
  std::string chat_template_name_;
};

// Loads a tokenizer.json, a SentencePiece .model, or a directory holding tokenizer.json,
// tokenizer.model or a slow GPT-2/Qwen2 tokenizer (vocab.json + merges.txt, converted as
// transformers does; Qwen2 rules when tokenizer_class names Qwen2 or Dream), in that order of
// preference, with tokenizer_config.json beside it when present (BOS/EOS, chat template, and
// added_tokens_decoder for vocab.json + merges.txt). Throws maskkv::Error: not_found (a directory without a tokenizer), io
// (unreadable), format (malformed JSON, truncated file, inconsistent vocabulary), unsupported
// ("unsupported: <component>"), each message naming the file and field.
std::shared_ptr<const Tokenizer> load_tokenizer(const std::string& path);

// Largest tokenizer file read (tokenizer.json, vocab.json, merges.txt, tokenizer_config.json, a
// SentencePiece .model) or tokenizer.json text accepted; the largest real ones are about 35 MiB.
constexpr uint64_t kMaxTokenizerFileBytes = uint64_t{64} << 20;

// Lower-level entry points (tests, tools): a tokenizer.json given as text, with an optional
// tokenizer_config.json text ("" = none). `origin` names the source in error messages.
std::shared_ptr<Tokenizer> load_hf_tokenizer_json(std::string_view json_text,
                                                  const std::string& origin);
std::shared_ptr<Tokenizer> load_sentencepiece_model(const std::string& path);
// A SentencePiece .model's bytes (tests, fuzzing); `origin` names it in messages.
std::shared_ptr<Tokenizer> load_sentencepiece_bytes(const std::string& bytes, const std::string& origin);

// Configures a tokenizer built from another source (a GGUF file's metadata) as
// tokenizer_config.json would: BOS/EOS by their token text ("" = none), the chat template
// family from a template text (or, for "", from the family's marker tokens), and for a
// SentencePiece tokenizer whether encode(add_special) adds BOS/EOS.
void configure_tokenizer(Tokenizer& t, const std::string& bos, const std::string& eos,
                         const std::string& chat_template, bool add_bos, bool add_eos);

// The chat template families recognised in a tokenizer_config.json chat_template string;
// returns "" when the template is none of them.
std::string detect_chat_template(std::string_view chat_template, std::string_view bos_token);

}  // namespace maskkv::tok
