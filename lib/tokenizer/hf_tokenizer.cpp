// A Hugging Face tokenizer.json: added tokens, normalizer, pre-tokenizer, BPE model,
// post-processor and decoder, following the semantics of the `tokenizers` library (0.22).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <functional>
#include <memory>
#include <unordered_map>

#include "core/error.h"
#include "core/read_file.h"
#include "core/json_depth.h"
#include "tokenizer/bpe.h"
#include "tokenizer/regex.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

namespace maskkv::tok {
namespace {

// Most ids a tokenizer.json may leave unused below its largest (see parse_model).
constexpr int64_t kMaxUnusedIds = 1 << 16;
// Most normalizers, pre-tokenizers, decoders or post-processors one file may chain (real files
// use up to five): each pre-tokenizer is one level of recursion per piece of text.
constexpr size_t kMaxComponents = 64;
// Longest added token and most bytes of added tokens in all: matching them costs at most
// (text length x longest token) steps, and their trie one node per byte.
constexpr size_t kMaxAddedTokenBytes = 1024;
constexpr size_t kMaxAddedBytes = size_t{1} << 20;

using json = nlohmann::json;

// ---------------------------------------------------------------------------------------------
// The byte-level alphabet (GPT-2): every byte maps to a printable code point.
struct ByteAlphabet {
  uint32_t byte_to_cp[256];
  int16_t cp_to_byte[324];  // -1 when a code point is not in the alphabet
  ByteAlphabet() {
    for (int i = 0; i < 324; ++i) cp_to_byte[i] = -1;
    int n = 0;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      byte_to_cp[b] = printable ? b : 256 + n++;
    }
    for (int b = 0; b < 256; ++b) cp_to_byte[byte_to_cp[b]] = static_cast<int16_t>(b);
  }
};
const ByteAlphabet& alphabet() {
  static const ByteAlphabet a;
  return a;
}

// Byte-level spelling -> raw bytes; false when a character is outside the alphabet.
bool byte_level_to_bytes(std::string_view s, std::string& out) {
  out.clear();
  const ByteAlphabet& a = alphabet();
  size_t i = 0;
  while (i < s.size()) {
    uint32_t c = unicode::next_cp(s, i);
    if (c >= 324 || a.cp_to_byte[c] < 0) return false;
    out.push_back(static_cast<char>(a.cp_to_byte[c]));
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// JSON access with errors that name the file and field.
struct Ctx {
  std::string origin;
  [[noreturn]] void bad(const std::string& field, const std::string& what) const {
    fail(Code::format, origin + ": " + field + ": " + what);
  }
  [[noreturn]] void unsupported(const std::string& what) const {
    fail(Code::unsupported, origin + ": unsupported: " + what);
  }
  const json& obj(const json& j, const std::string& key, const std::string& field) const {
    if (!j.is_object()) bad(field, "expected an object");
    auto it = j.find(key);
    if (it == j.end()) bad(field + "." + key, "missing");
    return *it;
  }
  std::string str(const json& j, const std::string& key, const std::string& field,
                  const std::string* def = nullptr) const {
    if (!j.is_object()) bad(field, "expected an object");
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
      if (def) return *def;
      bad(field + "." + key, "missing");
    }
    if (!it->is_string()) bad(field + "." + key, "expected a string");
    return it->get<std::string>();
  }
  bool boolean(const json& j, const std::string& key, const std::string& field, bool def) const {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return def;
    if (!it->is_boolean()) bad(field + "." + key, "expected true or false");
    return it->get<bool>();
  }
  int64_t integer(const json& j, const std::string& key, const std::string& field,
                  int64_t def, bool required) const {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
      if (required) bad(field + "." + key, "missing");
      return def;
    }
    if (!it->is_number_integer()) bad(field + "." + key, "expected an integer");
    if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
      bad(field + "." + key, std::to_string(it->get<uint64_t>()) + " is out of range");
    return it->get<int64_t>();
  }
  std::string type(const json& j, const std::string& field) const {
    if (!j.is_object()) bad(field, "expected an object");
    return str(j, "type", field);
  }
};

// A pattern field: {"String": "..."} or {"Regex": "..."}; returns a PCRE2 pattern.
std::string pattern_of(const Ctx& ctx, const json& j, const std::string& field) {
  if (!j.is_object()) ctx.bad(field, "expected {\"String\": ...} or {\"Regex\": ...}");
  if (auto it = j.find("String"); it != j.end() && it->is_string())
    return regex_escape(it->get<std::string>());
  if (auto it = j.find("Regex"); it != j.end() && it->is_string())
    return onig_to_pcre2(it->get<std::string>());
  ctx.bad(field, "expected {\"String\": ...} or {\"Regex\": ...}");
}

// ---------------------------------------------------------------------------------------------
// Added tokens and their matcher: a byte trie searched leftmost-longest, as the reference's
// Aho-Corasick automaton with MatchKind::LeftmostLongest.
struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool special = false, single_word = false, lstrip = false, rstrip = false, normalized = true;
};

class AddedMatcher {
 public:
  void add(std::string_view pattern, int32_t token_index) {
    if (pattern.empty()) return;
    if (nodes_.empty()) nodes_.emplace_back();
    int32_t n = 0;
    for (unsigned char c : pattern) {
      int32_t nx = child(n, c);
      if (nx < 0) {
        nx = static_cast<int32_t>(nodes_.size());
        nodes_.emplace_back();
        nodes_[nx].byte = c;
        nodes_[nx].next = nodes_[n].first;
        nodes_[n].first = nx;
      }
      n = nx;
    }
    if (nodes_[n].token < 0) nodes_[n].token = token_index;
    first_[static_cast<unsigned char>(pattern[0])] = true;
  }
  bool empty() const { return nodes_.empty(); }
  // Longest match starting at i: token index and length; -1 when none.
  int32_t match_at(std::string_view s, size_t i, size_t& len) const {
    int32_t n = 0, best = -1;
    for (size_t k = i; k < s.size(); ++k) {
      n = child(n, static_cast<unsigned char>(s[k]));
      if (n < 0) break;
      if (nodes_[n].token >= 0) {
        best = nodes_[n].token;
        len = k + 1 - i;
      }
    }
    return best;
  }
  bool first(unsigned char c) const { return first_[c]; }

 private:
  // One node per byte of the patterns (16 bytes each): children are a linked list.
  struct Node {
    int32_t first = -1, next = -1;  // first child, next sibling
    int32_t token = -1;
    unsigned char byte = 0;
  };
  int32_t child(int32_t n, unsigned char c) const {
    for (int32_t k = nodes_[n].first; k >= 0; k = nodes_[k].next)
      if (nodes_[k].byte == c) return k;
    return -1;
  }
  std::vector<Node> nodes_;
  bool first_[256] = {};
};

struct Segment {
  size_t begin, end;
  int32_t token;  // index into added tokens, or -1 for text
};

// ---------------------------------------------------------------------------------------------
// Normalizers.
struct Normalizer {
  enum Kind { NFC, NFD, Prepend, Replace, Strip } kind;
  std::string field;                // where it sits in the file, for messages
  std::string text;                 // Prepend: the prefix; Replace: the content
  std::shared_ptr<Regex> pattern;   // Replace
  bool left = false, right = false; // Strip
};

// Pre-tokenizer steps.
enum class Behavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };
struct PreTok {
  enum Kind { Split, ByteLevel, Metaspace } kind;
  std::shared_ptr<Regex> pattern;  // Split / ByteLevel(use_regex)
  Behavior behavior = Behavior::Isolated;
  bool invert = false;
  bool add_prefix_space = false;   // ByteLevel
  std::string replacement;         // Metaspace
  int prepend = 0;                 // Metaspace: 0 always, 1 first, 2 never
  bool split = true;               // Metaspace
};

// Decoder steps (the general path; a lone ByteLevel decoder takes the fast path).
struct Decoder {
  enum Kind { ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace } kind;
  std::string field;
  std::shared_ptr<Regex> pattern;
  std::string content;
  std::string replacement;
  size_t start = 0, stop = 0;
  bool prepend = true;
};

// Post-processor pieces for a single sequence.
struct PostPiece {
  bool is_sequence;             // the input ids
  std::vector<int32_t> ids;     // special token ids
};


// How far a chain of normalizers (or decoders) may grow a text: kMaxGrowth times its length plus
// kGrowthSlack bytes. Real chains stay within 3x (" " -> "\u2581"); without a bound, a few
// Replace steps with an empty pattern and a long content grow a short text to gigabytes.
constexpr size_t kMaxGrowth = 16, kGrowthSlack = 4096;
size_t growth_limit(size_t n) { return n * kMaxGrowth + kGrowthSlack; }

[[noreturn]] void grew_too_much(const std::string& origin, const std::string& field, size_t input,
                                size_t limit) {
  fail(Code::format, origin + ": " + field + ": grows a text of " + std::to_string(input) +
                         " bytes past " + std::to_string(limit) + " bytes (the limit is " +
                         std::to_string(kMaxGrowth) + " times the input plus " +
                         std::to_string(kGrowthSlack) + ")");
}

// Every match of `pattern` in `s` replaced by `content`; fails (naming origin and field) as
// soon as the result would pass `limit` bytes.
std::string replace_all(const Regex& pattern, const std::string& s, const std::string& content,
                        size_t input, size_t limit, const std::string& origin,
                        const std::string& field) {
  std::string out;
  size_t last = 0;
  pattern.for_each_match(s, [&](size_t b, size_t e) {
    if (out.size() + (b - last) + content.size() > limit) grew_too_much(origin, field, input, limit);
    out.append(s, last, b - last);
    out += content;
    last = e;
  });
  if (out.size() + (s.size() - last) > limit) grew_too_much(origin, field, input, limit);
  out.append(s, last, std::string::npos);
  return out;
}

[[noreturn]] void too_many(const Ctx& ctx, const std::string& field, const char* what) {
  ctx.bad(field, std::string("more than ") + std::to_string(kMaxComponents) + " " + what +
                     " in all");
}

// The GPT-2 split of ByteLevel(use_regex=true).
const char kGpt2Pattern[] =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

Behavior behavior_of(const Ctx& ctx, const std::string& s, const std::string& field) {
  if (s == "Removed") return Behavior::Removed;
  if (s == "Isolated") return Behavior::Isolated;
  if (s == "MergedWithPrevious") return Behavior::MergedWithPrevious;
  if (s == "MergedWithNext") return Behavior::MergedWithNext;
  if (s == "Contiguous") return Behavior::Contiguous;
  ctx.unsupported("split behavior '" + s + "' (" + field + ")");
}

class HfTokenizer final : public Tokenizer {
 public:
  HfTokenizer(const json& root, const std::string& origin);

  std::vector<int32_t> encode(std::string_view text, bool add_special) const override;
  std::vector<int32_t> encode_protected(std::string_view text, const Ranges& protect) const override;
  std::string decode(const int32_t* ids, size_t n, bool skip_special) const override;
  int32_t vocab_size() const override { return vocab_size_; }
  int32_t token_to_id(std::string_view token) const override;
  std::string id_to_token(int32_t id) const override {
    check_id(id);
    return id_token_[id];
  }
  bool is_special(int32_t id) const override {
    check_id(id);
    return special_[id] != 0;
  }
  const char* kind() const override { return "hf-bpe"; }

 private:
  void check_id(int32_t id) const {
    if (id < 0 || id >= vocab_size_)
      fail(Code::out_of_range, "token id " + std::to_string(id) + " is outside the vocabulary [0, " +
                                   std::to_string(vocab_size_) + ")");
  }
  void parse_model(const Ctx& ctx, const json& model, bool byte_level);
  void parse_added(const Ctx& ctx, const json& arr);
  void parse_normalizer(const Ctx& ctx, const json& j, const std::string& field);
  void parse_pretok(const Ctx& ctx, const json& j, const std::string& field);
  void parse_post(const Ctx& ctx, const json& j, const std::string& field);
  void parse_decoder(const Ctx& ctx, const json& j, const std::string& field);

  // protect: byte ranges of s where special added tokens may not match (nullptr: none);
  // protect_all: no special added token matches anywhere in s.
  void split_added(std::string_view s, const AddedMatcher& m, std::vector<Segment>& out,
                   const Ranges* protect = nullptr, bool protect_all = false) const;
  std::string normalize(std::string_view s) const;
  void encode_normalized(std::string_view s, bool at_origin, std::vector<int32_t>& out,
                         bool protect_all = false) const;
  std::vector<int32_t> encode_impl(std::string_view text, bool add_special, const Ranges* protect) const;
  void pretok(size_t step, std::string_view piece, bool at_origin, std::vector<int32_t>& out) const;
  template <class F>
  void split_piece(const PreTok& p, std::string_view s, bool at_origin, F&& f) const;

  std::unique_ptr<Bpe> bpe_;
  bool byte_level_ = false;
  std::unordered_map<std::string, int32_t> odd_spellings_;  // byte-level tokens outside the alphabet
  std::vector<AddedToken> added_;
  std::unordered_map<std::string, int32_t> added_by_content_;
  AddedMatcher raw_matcher_, norm_matcher_;
  std::vector<Normalizer> normalizers_;
  std::vector<PreTok> pretoks_;
  std::vector<std::pair<std::vector<int32_t>, std::vector<int32_t>>> post_;  // prefix, suffix
  bool has_decoder_ = false;
  bool fast_byte_decode_ = false;
  std::vector<Decoder> decoders_;
  std::vector<std::string> id_token_;
  std::vector<std::string> id_bytes_;
  std::vector<uint8_t> special_;
  std::vector<int32_t> added_index_;  // id -> index into added_, or -1
  int32_t vocab_size_ = 0;
  std::string origin_;  // the file, for messages
  size_t post_components_ = 0;
};

HfTokenizer::HfTokenizer(const json& root, const std::string& origin) : origin_(origin) {
  Ctx ctx{origin};
  if (!root.is_object()) ctx.bad("(top level)", "expected a JSON object");
  // Normalizer and pre-tokenizer first: the model's byte-level mode depends on the latter.
  if (auto it = root.find("normalizer"); it != root.end() && !it->is_null())
    parse_normalizer(ctx, *it, "normalizer");
  if (auto it = root.find("pre_tokenizer"); it != root.end() && !it->is_null())
    parse_pretok(ctx, *it, "pre_tokenizer");
  for (size_t i = 0; i < pretoks_.size(); ++i)
    if (pretoks_[i].kind == PreTok::ByteLevel) {
      if (i + 1 != pretoks_.size())
        ctx.unsupported("pre-tokenizer ByteLevel followed by other pre-tokenizers");
      byte_level_ = true;
    }
  auto mit = root.find("model");
  if (mit == root.end() || !mit->is_object()) ctx.bad("model", "missing or not an object");
  parse_model(ctx, *mit, byte_level_);
  if (auto it = root.find("added_tokens"); it != root.end() && !it->is_null())
    parse_added(ctx, *it);
  if (auto it = root.find("post_processor"); it != root.end() && !it->is_null())
    parse_post(ctx, *it, "post_processor");
  if (auto it = root.find("decoder"); it != root.end() && !it->is_null()) {
    has_decoder_ = true;
    parse_decoder(ctx, *it, "decoder");
    // Byte-level model + lone ByteLevel decoder: concatenate precomputed bytes. (Added tokens
    // are emitted as their content; the reference runs them through the byte-level map, which
    // differs only for non-ASCII added tokens, where it garbles them.)
    fast_byte_decode_ =
        byte_level_ && decoders_.size() == 1 && decoders_[0].kind == Decoder::ByteLevel;
  }
  special_.resize(vocab_size_, 0);
  added_index_.resize(vocab_size_, -1);
  if (auto it = root.find("truncation"); it != root.end() && !it->is_null())
    ctx.unsupported("truncation (set it to null)");
  if (auto it = root.find("padding"); it != root.end() && !it->is_null())
    ctx.unsupported("padding (set it to null)");
}

void HfTokenizer::parse_model(const Ctx& ctx, const json& m, bool byte_level) {
  std::string type;
  if (auto it = m.find("type"); it != m.end() && !it->is_null()) {
    if (!it->is_string()) ctx.bad("model.type", "expected a string");
    type = it->get<std::string>();
  } else if (m.contains("merges")) {
    type = "BPE";
  } else {
    ctx.bad("model.type", "missing");
  }
  if (type != "BPE") ctx.unsupported("model type '" + type + "'");
  if (auto it = m.find("dropout"); it != m.end() && !it->is_null()) {
    if (!it->is_number()) ctx.bad("model.dropout", "expected a number or null");
    if (it->get<double>() != 0.0) ctx.unsupported("BPE dropout");
  }
  const json& vocab = ctx.obj(m, "vocab", "model");
  if (!vocab.is_object()) ctx.bad("model.vocab", "expected an object of token -> id");
  const json& merges = ctx.obj(m, "merges", "model");
  if (!merges.is_array()) ctx.bad("model.merges", "expected an array");

  BpeOptions opt;
  opt.byte_level = byte_level;
  opt.byte_fallback = ctx.boolean(m, "byte_fallback", "model", false);
  opt.ignore_merges = ctx.boolean(m, "ignore_merges", "model", false);
  opt.fuse_unk = ctx.boolean(m, "fuse_unk", "model", false);
  const std::string empty;
  opt.continuing_subword_prefix = ctx.str(m, "continuing_subword_prefix", "model", &empty);
  opt.end_of_word_suffix = ctx.str(m, "end_of_word_suffix", "model", &empty);
  if (byte_level && !(opt.continuing_subword_prefix.empty() && opt.end_of_word_suffix.empty()))
    ctx.unsupported("BPE continuing_subword_prefix/end_of_word_suffix with a ByteLevel pre-tokenizer");

  // Vocabulary: spelling -> id; in byte-level mode keyed by raw bytes.
  std::unordered_map<std::string, int32_t> keyed;
  keyed.reserve(vocab.size() * 2);
  int32_t max_id = -1;
  std::vector<std::pair<int32_t, const std::string*>> by_id;
  by_id.reserve(vocab.size());
  std::string bytes;
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (!it.value().is_number_integer())
      ctx.bad("model.vocab[\"" + it.key() + "\"]", "expected an integer id");
    // Read as unsigned when it is: 2^64-1 must not show as -1.
    if (it.value().is_number_unsigned() && it.value().get<uint64_t>() >= (uint64_t{1} << 30))
      ctx.bad("model.vocab[\"" + it.key() + "\"]", "id " + std::to_string(it.value().get<uint64_t>()) + " out of range");
    int64_t id = it.value().get<int64_t>();
    if (id < 0 || id >= (int64_t{1} << 30))
      ctx.bad("model.vocab[\"" + it.key() + "\"]", "id " + std::to_string(id) + " out of range");
    if (unicode::find_invalid_utf8(it.key()) != std::string::npos)
      ctx.bad("model.vocab", "a token is not valid UTF-8");
    max_id = std::max<int32_t>(max_id, static_cast<int32_t>(id));
    by_id.emplace_back(static_cast<int32_t>(id), &it.key());
    if (byte_level) {
      if (byte_level_to_bytes(it.key(), bytes)) keyed[bytes] = static_cast<int32_t>(id);
      else odd_spellings_[it.key()] = static_cast<int32_t>(id);
    } else {
      keyed[it.key()] = static_cast<int32_t>(id);
    }
  }
  // Tables are indexed by id: a few sparse ids must not cost gigabytes (a 100-byte file with
  // id 2^30 - 1 would ask for 2^30 strings). Real vocabularies are dense.
  if (max_id >= static_cast<int64_t>(vocab.size()) + kMaxUnusedIds)
    ctx.bad("model.vocab", "id " + std::to_string(max_id) + " leaves more than " + std::to_string(kMaxUnusedIds) +
                               " ids unused among " + std::to_string(vocab.size()) + " tokens");
  id_token_.assign(static_cast<size_t>(max_id + 1), std::string());
  id_bytes_.assign(static_cast<size_t>(max_id + 1), std::string());
  for (const auto& [id, s] : by_id) {
    id_token_[id] = *s;
    if (byte_level) {
      // The reference's ByteLevel decoder: raw bytes when every character is in the alphabet,
      // else the token's own UTF-8.
      if (!byte_level_to_bytes(*s, id_bytes_[id])) id_bytes_[id] = *s;
    }
  }

  if (auto it = m.find("unk_token"); it != m.end() && !it->is_null()) {
    if (!it->is_string()) ctx.bad("model.unk_token", "expected a string or null");
    std::string unk = it->get<std::string>();
    auto v = vocab.find(unk);
    if (v == vocab.end())
      ctx.bad("model.unk_token", "'" + unk + "' is not in the vocabulary");
    opt.unk_id = v->get<int32_t>();
  }

  std::vector<std::pair<std::string, std::string>> pairs;
  pairs.reserve(merges.size());
  std::string a, b, ka, kb;
  for (size_t r = 0; r < merges.size(); ++r) {
    const json& e = merges[r];
    if (e.is_string()) {
      const std::string& s = e.get_ref<const std::string&>();
      size_t sp = s.find(' ');
      if (sp == std::string::npos)
        ctx.bad("model.merges[" + std::to_string(r) + "]", "expected \"left right\"");
      a = s.substr(0, sp);
      b = s.substr(sp + 1);
    } else if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_string()) {
      a = e[0].get<std::string>();
      b = e[1].get<std::string>();
    } else {
      ctx.bad("model.merges[" + std::to_string(r) + "]", "expected \"left right\" or [left, right]");
    }
    if (!vocab.contains(a) || !vocab.contains(b) || !vocab.contains(a + b))
      ctx.bad("model.merges[" + std::to_string(r) + "]",
              "'" + a + "' + '" + b + "': a part or the result is not in the vocabulary");
    if (byte_level) {
      if (!byte_level_to_bytes(a, ka) || !byte_level_to_bytes(b, kb)) {
        continue;  // can never apply to byte-level input (ranks only need to stay ordered)
      }
      pairs.emplace_back(ka, kb);
    } else {
      pairs.emplace_back(a, b);
    }
  }
  bpe_ = std::make_unique<Bpe>(std::move(keyed), pairs, opt, ctx.origin);
  vocab_size_ = max_id + 1;
}

void HfTokenizer::parse_added(const Ctx& ctx, const json& arr) {
  if (!arr.is_array()) ctx.bad("added_tokens", "expected an array");
  size_t added_bytes = 0;
  for (size_t i = 0; i < arr.size(); ++i) {
    const json& t = arr[i];
    std::string field = "added_tokens[" + std::to_string(i) + "]";
    AddedToken a;
    a.content = ctx.str(t, "content", field);
    if (unicode::find_invalid_utf8(a.content) != std::string::npos)
      ctx.bad(field + ".content", "not valid UTF-8");
    if (a.content.size() > kMaxAddedTokenBytes)
      ctx.bad(field + ".content", std::to_string(a.content.size()) + " bytes exceed the limit of " +
                                      std::to_string(kMaxAddedTokenBytes) + " for an added token");
    added_bytes += a.content.size();
    if (added_bytes > kMaxAddedBytes)
      ctx.bad(field + ".content", "the added tokens hold more than " + std::to_string(kMaxAddedBytes) +
                                      " bytes in all");
    int64_t id = ctx.integer(t, "id", field, -1, true);
    if (id < 0 || id >= (int64_t{1} << 30)) ctx.bad(field + ".id", "out of range");
    if (id >= static_cast<int64_t>(vocab_size_) + static_cast<int64_t>(arr.size()) + kMaxUnusedIds)
      ctx.bad(field + ".id", "id " + std::to_string(id) + " leaves more than " + std::to_string(kMaxUnusedIds) +
                                 " ids unused past the vocabulary of " + std::to_string(vocab_size_));
    a.special = ctx.boolean(t, "special", field, false);
    a.single_word = ctx.boolean(t, "single_word", field, false);
    a.lstrip = ctx.boolean(t, "lstrip", field, false);
    a.rstrip = ctx.boolean(t, "rstrip", field, false);
    a.normalized = ctx.boolean(t, "normalized", field, !a.special);
    if (a.content.empty()) continue;
    // A token already in the model's vocabulary keeps the model's id (as the reference does).
    int32_t model_id = -1;
    if (byte_level_) {
      std::string bytes;
      if (byte_level_to_bytes(a.content, bytes)) {
        model_id = bpe_->find(bytes);
        if (model_id >= 0 && id_token_[model_id] != a.content) model_id = -1;
      }
      if (model_id < 0) {
        auto it = odd_spellings_.find(a.content);
        if (it != odd_spellings_.end()) model_id = it->second;
      }
    } else {
      model_id = bpe_->find(a.content);
    }
    a.id = model_id >= 0 ? model_id : static_cast<int32_t>(id);
    if (added_by_content_.count(a.content)) continue;
    added_by_content_[a.content] = static_cast<int32_t>(added_.size());
    added_.push_back(a);
  }
  int32_t max_id = vocab_size_ - 1;
  for (const AddedToken& a : added_) max_id = std::max(max_id, a.id);
  vocab_size_ = max_id + 1;
  id_token_.resize(vocab_size_);
  id_bytes_.resize(vocab_size_);
  special_.assign(vocab_size_, 0);
  added_index_.assign(vocab_size_, -1);
  for (size_t k = 0; k < added_.size(); ++k) {
    const AddedToken& a = added_[k];
    id_token_[a.id] = a.content;
    id_bytes_[a.id] = a.content;
    special_[a.id] = a.special;
    added_index_[a.id] = static_cast<int32_t>(k);
    if (a.normalized && !normalizers_.empty()) norm_matcher_.add(normalize(a.content), static_cast<int32_t>(k));
    else if (a.normalized) norm_matcher_.add(a.content, static_cast<int32_t>(k));
    else raw_matcher_.add(a.content, static_cast<int32_t>(k));
  }
}

void HfTokenizer::parse_normalizer(const Ctx& ctx, const json& j, const std::string& field) {
  std::string type = ctx.type(j, field);
  if (type == "Sequence") {
    const json& list = ctx.obj(j, "normalizers", field);
    if (!list.is_array()) ctx.bad(field + ".normalizers", "expected an array");
    for (size_t i = 0; i < list.size(); ++i)
      parse_normalizer(ctx, list[i], field + ".normalizers[" + std::to_string(i) + "]");
    return;
  }
  if (normalizers_.size() == kMaxComponents) too_many(ctx, field, "normalizers");
  Normalizer n;
  n.field = field;
  if (type == "NFC") n.kind = Normalizer::NFC;
  else if (type == "NFD") n.kind = Normalizer::NFD;
  else if (type == "Prepend") {
    n.kind = Normalizer::Prepend;
    n.text = ctx.str(j, "prepend", field);
  } else if (type == "Replace") {
    n.kind = Normalizer::Replace;
    n.pattern = std::make_shared<Regex>(pattern_of(ctx, ctx.obj(j, "pattern", field), field + ".pattern"),
                                        ctx.origin + ": " + field + ".pattern");
    n.text = ctx.str(j, "content", field);
  } else if (type == "Strip") {
    n.kind = Normalizer::Strip;
    n.left = ctx.boolean(j, "strip_left", field, true);
    n.right = ctx.boolean(j, "strip_right", field, true);
  } else {
    ctx.unsupported("normalizer '" + type + "' (" + field + ")");
  }
  normalizers_.push_back(std::move(n));
}

void HfTokenizer::parse_pretok(const Ctx& ctx, const json& j, const std::string& field) {
  std::string type = ctx.type(j, field);
  if (type == "Sequence") {
    const json& list = ctx.obj(j, "pretokenizers", field);
    if (!list.is_array()) ctx.bad(field + ".pretokenizers", "expected an array");
    for (size_t i = 0; i < list.size(); ++i)
      parse_pretok(ctx, list[i], field + ".pretokenizers[" + std::to_string(i) + "]");
    return;
  }
  if (pretoks_.size() == kMaxComponents) too_many(ctx, field, "pre-tokenizers");
  PreTok p;
  const std::string what = ctx.origin + ": " + field;
  if (type == "ByteLevel") {
    p.kind = PreTok::ByteLevel;
    p.add_prefix_space = ctx.boolean(j, "add_prefix_space", field, true);
    if (ctx.boolean(j, "use_regex", field, true))
      p.pattern = std::make_shared<Regex>(onig_to_pcre2(kGpt2Pattern), what);
  } else if (type == "Split") {
    p.kind = PreTok::Split;
    p.pattern = std::make_shared<Regex>(pattern_of(ctx, ctx.obj(j, "pattern", field), field + ".pattern"),
                                        what + ".pattern");
    p.behavior = behavior_of(ctx, ctx.str(j, "behavior", field), field + ".behavior");
    p.invert = ctx.boolean(j, "invert", field, false);
  } else if (type == "Digits") {
    p.kind = PreTok::Split;
    bool individual = ctx.boolean(j, "individual_digits", field, false);
    p.pattern = std::make_shared<Regex>(individual ? "\\p{N}" : "\\p{N}+", what);
    p.behavior = Behavior::Isolated;
  } else if (type == "WhitespaceSplit") {
    p.kind = PreTok::Split;
    p.pattern = std::make_shared<Regex>(onig_to_pcre2("\\s+"), what);
    p.behavior = Behavior::Removed;
  } else if (type == "Whitespace") {
    p.kind = PreTok::Split;
    p.pattern = std::make_shared<Regex>(onig_to_pcre2("\\w+|[^\\w\\s]+"), what);
    p.behavior = Behavior::Removed;
    p.invert = true;
  } else if (type == "Metaspace") {
    p.kind = PreTok::Metaspace;
    p.replacement = ctx.str(j, "replacement", field);
    if (p.replacement.empty() || unicode::utf8_len(static_cast<unsigned char>(p.replacement[0])) !=
                                     p.replacement.size())
      ctx.bad(field + ".replacement", "expected one character");
    std::string scheme = "always";
    if (auto it = j.find("prepend_scheme"); it != j.end() && it->is_string())
      scheme = it->get<std::string>();
    else if (!ctx.boolean(j, "add_prefix_space", field, true))
      scheme = "never";
    if (scheme == "always") p.prepend = 0;
    else if (scheme == "first") p.prepend = 1;
    else if (scheme == "never") p.prepend = 2;
    else ctx.unsupported("Metaspace prepend_scheme '" + scheme + "'");
    p.split = ctx.boolean(j, "split", field, true);
    p.pattern = std::make_shared<Regex>(regex_escape(p.replacement), what);
    p.behavior = Behavior::MergedWithNext;
  } else {
    ctx.unsupported("pre-tokenizer '" + type + "' (" + field + ")");
  }
  pretoks_.push_back(std::move(p));
}

void HfTokenizer::parse_post(const Ctx& ctx, const json& j, const std::string& field) {
  std::string type = ctx.type(j, field);
  auto token_id = [&](const json& pair, const std::string& f) -> int32_t {
    // ["[CLS]", 101]
    if (!pair.is_array() || pair.size() != 2 || !pair[1].is_number_integer())
      ctx.bad(f, "expected [token, id]");
    int64_t id = pair[1].get<int64_t>();
    if (id < 0 || id >= vocab_size_) ctx.bad(f, "id out of range");
    return static_cast<int32_t>(id);
  };
  if (type != "Sequence" && ++post_components_ > kMaxComponents) too_many(ctx, field, "post-processors");
  if (type == "Sequence") {
    const json& list = ctx.obj(j, "processors", field);
    if (!list.is_array()) ctx.bad(field + ".processors", "expected an array");
    for (size_t i = 0; i < list.size(); ++i)
      parse_post(ctx, list[i], field + ".processors[" + std::to_string(i) + "]");
  } else if (type == "ByteLevel") {
    // Offsets only.
  } else if (type == "TemplateProcessing") {
    const json& single = ctx.obj(j, "single", field);
    if (!single.is_array()) ctx.bad(field + ".single", "expected an array");
    const json* specials = nullptr;
    if (auto it = j.find("special_tokens"); it != j.end() && it->is_object()) specials = &*it;
    std::vector<int32_t> pre, post;
    int seen = 0;
    for (size_t i = 0; i < single.size(); ++i) {
      std::string f = field + ".single[" + std::to_string(i) + "]";
      const json& piece = single[i];
      if (piece.contains("Sequence")) {
        ++seen;
        continue;
      }
      if (!piece.contains("SpecialToken")) ctx.bad(f, "expected Sequence or SpecialToken");
      std::string name = ctx.str(piece["SpecialToken"], "id", f + ".SpecialToken");
      if (!specials || !specials->contains(name))
        ctx.bad(f, "special token '" + name + "' is not in " + field + ".special_tokens");
      const json& ids = ctx.obj((*specials)[name], "ids", field + ".special_tokens." + name);
      if (!ids.is_array()) ctx.bad(field + ".special_tokens." + name + ".ids", "expected an array");
      for (const json& x : ids) {
        if (!x.is_number_integer() || x.get<int64_t>() < 0 || x.get<int64_t>() >= vocab_size_)
          ctx.bad(field + ".special_tokens." + name + ".ids", "expected ids in the vocabulary");
        (seen ? post : pre).push_back(x.get<int32_t>());
      }
    }
    if (seen != 1) ctx.unsupported("TemplateProcessing whose single template does not hold exactly one $A");
    post_.emplace_back(std::move(pre), std::move(post));
  } else if (type == "BertProcessing" || type == "RobertaProcessing") {
    int32_t cls = token_id(ctx.obj(j, "cls", field), field + ".cls");
    int32_t sep = token_id(ctx.obj(j, "sep", field), field + ".sep");
    post_.emplace_back(std::vector<int32_t>{cls}, std::vector<int32_t>{sep});
  } else {
    ctx.unsupported("post-processor '" + type + "' (" + field + ")");
  }
}

void HfTokenizer::parse_decoder(const Ctx& ctx, const json& j, const std::string& field) {
  std::string type = ctx.type(j, field);
  if (type == "Sequence") {
    const json& list = ctx.obj(j, "decoders", field);
    if (!list.is_array()) ctx.bad(field + ".decoders", "expected an array");
    for (size_t i = 0; i < list.size(); ++i)
      parse_decoder(ctx, list[i], field + ".decoders[" + std::to_string(i) + "]");
    return;
  }
  if (decoders_.size() == kMaxComponents) too_many(ctx, field, "decoders");
  Decoder d;
  d.field = field;
  if (type == "ByteLevel") d.kind = Decoder::ByteLevel;
  else if (type == "ByteFallback") d.kind = Decoder::ByteFallback;
  else if (type == "Fuse") d.kind = Decoder::Fuse;
  else if (type == "Replace") {
    d.kind = Decoder::Replace;
    d.pattern = std::make_shared<Regex>(pattern_of(ctx, ctx.obj(j, "pattern", field), field + ".pattern"),
                                        ctx.origin + ": " + field);
    d.content = ctx.str(j, "content", field);
  } else if (type == "Strip") {
    d.kind = Decoder::Strip;
    d.content = ctx.str(j, "content", field);
    if (d.content.empty() || unicode::utf8_len(static_cast<unsigned char>(d.content[0])) != d.content.size())
      ctx.bad(field + ".content", "expected one character");
    d.start = static_cast<size_t>(ctx.integer(j, "start", field, 0, false));
    d.stop = static_cast<size_t>(ctx.integer(j, "stop", field, 0, false));
  } else if (type == "Metaspace") {
    d.kind = Decoder::Metaspace;
    d.replacement = ctx.str(j, "replacement", field);
    std::string scheme = "always";
    if (auto it = j.find("prepend_scheme"); it != j.end() && it->is_string())
      scheme = it->get<std::string>();
    else if (!ctx.boolean(j, "add_prefix_space", field, true))
      scheme = "never";
    d.prepend = scheme != "never";
  } else {
    ctx.unsupported("decoder '" + type + "' (" + field + ")");
  }
  decoders_.push_back(std::move(d));
}

// ---------------------------------------------------------------------------------------------
// Encoding.

namespace {
bool overlaps(const Ranges& rs, size_t b, size_t e) {
  for (const auto& [rb, re] : rs)
    if (b < re && rb < e) return true;
  return false;
}
}  // namespace

void HfTokenizer::split_added(std::string_view s, const AddedMatcher& m,
                              std::vector<Segment>& out, const Ranges* protect,
                              bool protect_all) const {
  out.clear();
  size_t start_offset = 0;
  size_t i = 0;
  while (i < s.size()) {
    if (!m.first(static_cast<unsigned char>(s[i]))) {
      ++i;
      continue;
    }
    size_t len = 0;
    int32_t k = m.match_at(s, i, len);
    if (k < 0) {
      ++i;
      continue;
    }
    size_t start = i, stop = i + len;
    const AddedToken& a = added_[k];
    if (a.special && (protect_all || (protect && overlaps(*protect, start, stop)))) {
      ++i;  // text, not the token: look for a match that starts later
      continue;
    }
    if (a.single_word) {
      bool start_space = true, stop_space = true;
      if (start > 0) {
        size_t p = start;
        start_space = !unicode::is_word_char(unicode::prev_cp(s, p));
      }
      if (stop < s.size()) {
        size_t p = stop;
        stop_space = !unicode::is_word_char(unicode::next_cp(s, p));
      }
      if (!start_space || !stop_space) {
        i = stop;  // the automaton resumes after the discarded match
        continue;
      }
    }
    if (a.lstrip) {
      size_t p = start;
      while (p > 0) {
        size_t q = p;
        if (!unicode::is_white_space(unicode::prev_cp(s, q))) break;
        p = q;
      }
      start = std::max(p, start_offset);
    }
    if (a.rstrip) {
      while (stop < s.size()) {
        size_t q = stop;
        if (!unicode::is_white_space(unicode::next_cp(s, q))) break;
        stop = q;
      }
    }
    if (start_offset < start) out.push_back({start_offset, start, -1});
    out.push_back({start, stop, k});
    start_offset = stop;
    i = stop;
  }
  if (start_offset < s.size()) out.push_back({start_offset, s.size(), -1});
}

std::string HfTokenizer::normalize(std::string_view s) const {
  std::string cur(s);
  const size_t limit = growth_limit(s.size());
  for (const Normalizer& n : normalizers_) {
    switch (n.kind) {
      case Normalizer::NFC:
        if (!unicode::is_nfc_quick(cur)) cur = unicode::nfc(cur);
        break;
      case Normalizer::NFD:
        cur = unicode::nfd(cur);
        break;
      case Normalizer::Prepend:
        if (!cur.empty()) cur = n.text + cur;
        break;
      case Normalizer::Replace:
        cur = replace_all(*n.pattern, cur, n.text, s.size(), limit, origin_, n.field);
        break;
      case Normalizer::Strip: {
        size_t b = 0, e = cur.size();
        if (n.left)
          while (b < e) {
            size_t q = b;
            if (!unicode::is_white_space(unicode::next_cp(cur, q))) break;
            b = q;
          }
        if (n.right)
          while (e > b) {
            size_t q = e;
            if (!unicode::is_white_space(unicode::prev_cp(cur, q))) break;
            e = q;
          }
        cur = cur.substr(b, e - b);
        break;
      }
    }
    if (cur.size() > limit) grew_too_much(origin_, n.field, s.size(), limit);
  }
  return cur;
}

template <class F>
void HfTokenizer::split_piece(const PreTok& p, std::string_view s, bool at_origin, F&& f) const {
  if (p.behavior == Behavior::Isolated && !p.invert) {
    size_t last = 0;
    p.pattern->for_each_match(s, [&](size_t b, size_t e) {
      if (b > last) f(s.substr(last, b - last), at_origin && last == 0);
      if (e > b) f(s.substr(b, e - b), at_origin && b == 0);
      last = e;
    });
    if (last < s.size()) f(s.substr(last), at_origin && last == 0);
    return;
  }
  struct M {
    size_t b, e;
    bool m;
  };
  std::vector<M> ms;
  size_t last = 0;
  p.pattern->for_each_match(s, [&](size_t b, size_t e) {
    if (b > last) ms.push_back({last, b, false});
    ms.push_back({b, e, true});
    last = e;
  });
  if (last < s.size() || ms.empty()) ms.push_back({last, s.size(), false});
  if (p.invert)
    for (M& m : ms) m.m = !m.m;
  std::vector<M> out;
  switch (p.behavior) {
    case Behavior::Isolated:
      out = ms;
      break;
    case Behavior::Removed:
      for (const M& m : ms)
        if (!m.m) out.push_back(m);
      break;
    case Behavior::MergedWithPrevious: {
      bool prev = false;
      for (const M& m : ms) {
        if (m.m && !prev && !out.empty()) out.back().e = m.e;
        else out.push_back(m);
        prev = m.m;
      }
      break;
    }
    case Behavior::MergedWithNext: {
      bool prev = false;
      for (size_t k = ms.size(); k-- > 0;) {
        const M& m = ms[k];
        if (m.m && !prev && !out.empty()) out.back().b = m.b;
        else out.push_back(m);
        prev = m.m;
      }
      std::reverse(out.begin(), out.end());
      break;
    }
    case Behavior::Contiguous: {
      bool prev = false;
      bool first = true;
      for (const M& m : ms) {
        if (!first && m.m == prev) out.back().e = m.e;
        else out.push_back(m);
        prev = m.m;
        first = false;
      }
      break;
    }
  }
  for (const M& m : out)
    if (m.e > m.b) f(s.substr(m.b, m.e - m.b), at_origin && m.b == 0);
}

void HfTokenizer::pretok(size_t step, std::string_view piece, bool at_origin,
                         std::vector<int32_t>& out) const {
  if (piece.empty()) return;
  if (step == pretoks_.size()) {
    bpe_->tokenize(piece, out);
    return;
  }
  const PreTok& p = pretoks_[step];
  switch (p.kind) {
    case PreTok::Split:
      split_piece(p, piece, at_origin,
                  [&](std::string_view sub, bool o) { pretok(step + 1, sub, o, out); });
      return;
    case PreTok::ByteLevel: {
      std::string tmp;
      std::string_view s = piece;
      if (p.add_prefix_space && piece[0] != ' ') {
        tmp.reserve(piece.size() + 1);
        tmp.push_back(' ');
        tmp.append(piece);
        s = tmp;
      }
      if (p.pattern)
        split_piece(p, s, at_origin, [&](std::string_view sub, bool) { bpe_->tokenize(sub, out); });
      else
        bpe_->tokenize(s, out);
      return;
    }
    case PreTok::Metaspace: {
      std::string s;
      s.reserve(piece.size() + 4);
      for (char c : piece) {
        if (c == ' ') s += p.replacement;
        else s.push_back(c);
      }
      bool starts = s.compare(0, p.replacement.size(), p.replacement) == 0;
      if (!starts && (p.prepend == 0 || (p.prepend == 1 && at_origin))) s = p.replacement + s;
      if (p.split)
        split_piece(p, s, at_origin,
                    [&](std::string_view sub, bool o) { pretok(step + 1, sub, o, out); });
      else
        pretok(step + 1, s, at_origin, out);
      return;
    }
  }
}

void HfTokenizer::encode_normalized(std::string_view s, bool at_origin,
                                    std::vector<int32_t>& out, bool protect_all) const {
  if (norm_matcher_.empty()) {
    pretok(0, s, at_origin, out);
    return;
  }
  std::vector<Segment> segs;
  split_added(s, norm_matcher_, segs, nullptr, protect_all);
  for (const Segment& g : segs) {
    if (g.token >= 0) out.push_back(added_[g.token].id);
    else pretok(0, s.substr(g.begin, g.end - g.begin), at_origin && g.begin == 0, out);
  }
}

std::vector<int32_t> HfTokenizer::encode(std::string_view text, bool add_special) const {
  return encode_impl(text, add_special, nullptr);
}

std::vector<int32_t> HfTokenizer::encode_protected(std::string_view text, const Ranges& protect) const {
  return encode_impl(text, false, &protect);
}

std::vector<int32_t> HfTokenizer::encode_impl(std::string_view text, bool add_special,
                                              const Ranges* protect) const {
  size_t bad = unicode::find_invalid_utf8(text);
  if (bad != std::string_view::npos)
    fail(Code::invalid_argument, "invalid UTF-8 in the text to tokenize at byte " + std::to_string(bad));
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 4);
  // Normalization moves offsets, so a text piece that touches a protected range matches no
  // special normalized added token at all.
  auto run_text = [&](size_t b, size_t e) {
    const std::string_view s = text.substr(b, e - b);
    const bool protect_all = protect && overlaps(*protect, b, e);
    if (normalizers_.empty()) {
      encode_normalized(s, b == 0, out, protect_all);
    } else {
      std::string n = normalize(s);
      encode_normalized(n, b == 0, out, protect_all);
    }
  };
  if (raw_matcher_.empty()) {
    run_text(0, text.size());
  } else {
    std::vector<Segment> segs;
    split_added(text, raw_matcher_, segs, protect);
    for (const Segment& g : segs) {
      if (g.token >= 0) out.push_back(added_[g.token].id);
      else run_text(g.begin, g.end);
    }
  }
  if (add_special) {
    for (const auto& [pre, post] : post_) {
      if (!pre.empty()) out.insert(out.begin(), pre.begin(), pre.end());
      out.insert(out.end(), post.begin(), post.end());
    }
  }
  return out;
}

int32_t HfTokenizer::token_to_id(std::string_view token) const {
  // Every spelling was checked to be UTF-8 at load; byte_level_to_bytes decodes without checks.
  if (unicode::find_invalid_utf8(token) != std::string_view::npos) return -1;
  auto it = added_by_content_.find(std::string(token));
  if (it != added_by_content_.end()) return added_[it->second].id;
  if (byte_level_) {
    std::string bytes;
    if (byte_level_to_bytes(token, bytes)) {
      int32_t id = bpe_->find(bytes);
      if (id >= 0) return id;
    }
    auto jt = odd_spellings_.find(std::string(token));
    return jt == odd_spellings_.end() ? -1 : jt->second;
  }
  return bpe_->find(token);
}

// ---------------------------------------------------------------------------------------------
// Decoding.

std::string HfTokenizer::decode(const int32_t* ids, size_t n, bool skip_special) const {
  if (n > 0 && ids == nullptr) fail(Code::invalid_argument, "ids must not be NULL");
  for (size_t i = 0; i < n; ++i) check_id(ids[i]);
  if (fast_byte_decode_) {
    std::string bytes;
    bytes.reserve(n * 4);
    for (size_t i = 0; i < n; ++i) {
      int32_t id = ids[i];
      if (skip_special && !special_.empty() && special_[id]) continue;
      bytes += id_bytes_[id];
    }
    return unicode::to_valid_utf8_lossy(bytes);
  }
  std::vector<std::string> toks;
  toks.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    int32_t id = ids[i];
    if (skip_special && !special_.empty() && special_[id]) continue;
    const std::string& t = id_token_[id];
    if (t.empty() && (added_index_.empty() || added_index_[id] < 0)) continue;  // a hole
    toks.push_back(t);
  }
  if (!has_decoder_) {
    std::string out;
    for (size_t i = 0; i < toks.size(); ++i) {
      if (i) out.push_back(' ');
      out += toks[i];
    }
    return out;
  }
  // Replace steps may grow the text; the whole chain is held to growth_limit() of its input.
  size_t input = 0;
  for (const std::string& t : toks) input += t.size();
  const size_t limit = growth_limit(input);
  for (const Decoder& d : decoders_) {
    switch (d.kind) {
      case Decoder::ByteLevel: {
        std::string bytes, tmp;
        for (const std::string& t : toks) {
          if (byte_level_to_bytes(t, tmp)) bytes += tmp;
          else bytes += t;
        }
        toks.assign(1, unicode::to_valid_utf8_lossy(bytes));
        break;
      }
      case Decoder::Replace: {
        size_t total = 0;
        for (std::string& t : toks) {
          t = replace_all(*d.pattern, t, d.content, input, limit - std::min(limit, total), origin_,
                          d.field);
          total += t.size();
        }
        break;
      }
      case Decoder::ByteFallback: {
        std::vector<std::string> out;
        std::string pending;
        size_t n_pending = 0;
        auto flush = [&]() {
          if (!n_pending) return;
          if (unicode::find_invalid_utf8(pending) == std::string::npos) out.push_back(pending);
          else
            for (size_t k = 0; k < n_pending; ++k) out.emplace_back("\xEF\xBF\xBD");
          pending.clear();
          n_pending = 0;
        };
        for (std::string& t : toks) {
          auto hex = [](char c) -> int {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            return -1;
          };
          if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>' && hex(t[3]) >= 0 &&
              hex(t[4]) >= 0) {
            pending.push_back(static_cast<char>(hex(t[3]) * 16 + hex(t[4])));
            ++n_pending;
          } else {
            flush();
            out.push_back(std::move(t));
          }
        }
        flush();
        toks.swap(out);
        break;
      }
      case Decoder::Fuse: {
        std::string all;
        for (const std::string& t : toks) all += t;
        toks.assign(1, all);
        break;
      }
      case Decoder::Strip:
        for (std::string& t : toks) {
          size_t b = 0, e = t.size(), k = 0;
          while (k < d.start && t.compare(b, d.content.size(), d.content) == 0) {
            b += d.content.size();
            ++k;
          }
          k = 0;
          while (k < d.stop && e >= b + d.content.size() &&
                 t.compare(e - d.content.size(), d.content.size(), d.content) == 0) {
            e -= d.content.size();
            ++k;
          }
          t = t.substr(b, e - b);
        }
        break;
      case Decoder::Metaspace:
        for (size_t i = 0; i < toks.size(); ++i) {
          std::string out;
          const std::string& t = toks[i];
          size_t p = 0;
          while (p < t.size()) {
            if (t.compare(p, d.replacement.size(), d.replacement) == 0 && !d.replacement.empty()) {
              if (!(i == 0 && d.prepend)) out.push_back(' ');
              p += d.replacement.size();
            } else {
              out.push_back(t[p++]);
            }
          }
          toks[i] = std::move(out);
        }
        break;
    }
  }
  std::string out;
  for (const std::string& t : toks) out += t;
  return unicode::to_valid_utf8_lossy(out);
}

}  // namespace

std::shared_ptr<Tokenizer> load_hf_tokenizer_json(std::string_view json_text, const std::string& origin) {
  json root;
  if (json_text.size() > kMaxTokenizerFileBytes)
    fail(Code::format, too_large_message(origin, json_text.size(), kMaxTokenizerFileBytes, "a tokenizer file"));
  check_json_depth(json_text, origin);
  try {
    root = json::parse(json_text.begin(), json_text.end());
  } catch (const json::exception& e) {  // parse_error; out_of_range for a number past a double
    fail(Code::format, origin + ": malformed JSON (truncated or corrupt): " + e.what());
  }
  try {
    return std::make_shared<HfTokenizer>(root, origin);
  } catch (const json::exception& e) {
    fail(Code::format, origin + ": unexpected JSON structure: " + e.what());
  }
}

}  // namespace maskkv::tok
