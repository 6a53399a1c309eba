#include "io/gguf_tokenizer.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "io/gguf_checkpoint.h"
#include "tokenizer/unicode.h"

namespace maskkv {

namespace {

using json = nlohmann::json;

// tokenizer.ggml.token_type values (llama.cpp's llama_token_type).
enum TokenType : int { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };

// The pre-tokenizer regexes (as the tokenizer.json files of these families write them) of the
// tokenizer.ggml.pre names llama.cpp gives them (llama-vocab.cpp).
constexpr const char* kLlama3Pattern =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
constexpr const char* kQwen2Pattern =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

json split_then_bytes(const char* pattern) {
  return {{"type", "Sequence"},
          {"pretokenizers",
           json::array({{{"type", "Split"},
                         {"pattern", {{"Regex", pattern}}},
                         {"behavior", "Isolated"},
                         {"invert", false}},
                        {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}})}};
}

// Fills the tokenizer.json fields that depend on tokenizer.ggml.pre, and llama.cpp's default
// for adding BOS when the file does not say; false for a name whose pre-tokenizer maskkv does
// not have.
bool set_pre(json& j, std::string_view pre, bool& add_bos) {
  add_bos = false;
  for (const char* name : {"gpt-2", "phi-2", "olmo", "mpt", "jais", "roberta-bpe", "gpt2"})
    if (pre == name) {
      j["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}};
      return true;
    }
  for (const char* name : {"llama3", "llama-v3", "llama-bpe", "falcon3", "pixtral"})
    if (pre == name) {
      j["pre_tokenizer"] = split_then_bytes(kLlama3Pattern);
      j["model"]["ignore_merges"] = true;  // llama.cpp and Llama 3's tokenizer.json both do
      add_bos = true;
      return true;
    }
  for (const char* name : {"qwen2", "deepseek-r1-qwen"})
    if (pre == name) {
      j["normalizer"] = {{"type", "NFC"}};  // as Qwen2's tokenizer.json
      j["pre_tokenizer"] = split_then_bytes(kQwen2Pattern);
      return true;
    }
  return false;
}

std::shared_ptr<tok::Tokenizer> gpt2_tokenizer(const GgufImage& img, const std::string& path) {
  const GgufValue* tokens = gguf_array(img, "tokenizer.ggml.tokens", GgufType::string, path);
  if (!tokens || tokens->count == 0) fail(Code::format, path + ": missing metadata 'tokenizer.ggml.tokens'");
  const GgufValue* types = gguf_array(img, "tokenizer.ggml.token_type", GgufType::i32, path);
  if (types && types->count != tokens->count)
    fail(Code::format, path + ": metadata 'tokenizer.ggml.token_type' has " + std::to_string(types->count) +
                           " entries but 'tokenizer.ggml.tokens' has " + std::to_string(tokens->count));
  const GgufValue* merges = gguf_array(img, "tokenizer.ggml.merges", GgufType::string, path);
  if (!merges) fail(Code::format, path + ": missing metadata 'tokenizer.ggml.merges'");
  std::string_view pre = "default";
  gguf_string(img, "tokenizer.ggml.pre", pre, path);

  json j;
  j["model"] = {{"type", "BPE"}, {"byte_fallback", false}};
  bool add_bos = false, add_eos = false;
  if (!set_pre(j, pre, add_bos))
    fail(Code::unsupported, path + ": metadata 'tokenizer.ggml.pre' = '" + std::string(pre).substr(0, 64) +
                                "' names a pre-tokenizer maskkv does not have (supported: gpt-2, llama-bpe, "
                                "qwen2 and their aliases)");
  json vocab = json::object();
  json added = json::array();
  for (size_t i = 0; i < tokens->strings.size(); ++i) {
    const std::string text(tokens->strings[i]);
    if (tok::unicode::find_invalid_utf8(text) != std::string::npos)
      fail(Code::format, path + ": metadata 'tokenizer.ggml.tokens[" + std::to_string(i) + "]' is not valid UTF-8");
    const int type = types ? static_cast<int>(gguf_array_number(*types, i)) : kNormal;
    if (type == kControl || type == kUserDefined) {
      added.push_back({{"id", i}, {"content", text}, {"special", type == kControl}, {"normalized", false},
                       {"lstrip", false}, {"rstrip", false}, {"single_word", false}});
      continue;
    }
    if (vocab.contains(text))
      fail(Code::format, path + ": metadata 'tokenizer.ggml.tokens' holds the token of id " + std::to_string(i) +
                             " twice (also id " + std::to_string(vocab[text].get<int64_t>()) + ")");
    vocab[text] = i;
  }
  json merge_list = json::array();
  for (size_t i = 0; i < merges->strings.size(); ++i) {
    const std::string_view m = merges->strings[i];
    if (tok::unicode::find_invalid_utf8(m) != std::string::npos)
      fail(Code::format, path + ": metadata 'tokenizer.ggml.merges[" + std::to_string(i) + "]' is not valid UTF-8");
    merge_list.push_back(std::string(m));
  }
  j["model"]["vocab"] = std::move(vocab);
  j["model"]["merges"] = std::move(merge_list);
  j["added_tokens"] = std::move(added);
  j["decoder"] = {{"type", "ByteLevel"}};

  const GgufSpecialIds ids = gguf_special_ids(img, path);
  gguf_bool(img, "tokenizer.ggml.add_bos_token", add_bos, path);
  gguf_bool(img, "tokenizer.ggml.add_eos_token", add_eos, path);
  auto text_of = [&](int64_t id, const char* what) -> std::string {
    if (id < 0) return "";
    if (static_cast<uint64_t>(id) >= tokens->count)
      fail(Code::format, path + ": metadata 'tokenizer.ggml." + what + "_token_id' = " + std::to_string(id) +
                             " is outside the vocabulary of " + std::to_string(tokens->count));
    return std::string(tokens->strings[static_cast<size_t>(id)]);
  };
  const std::string bos = text_of(ids.bos, "bos"), eos = text_of(ids.eos, "eos");
  if ((add_bos && ids.bos >= 0) || (add_eos && ids.eos >= 0)) {
    json single = json::array(), specials = json::object();
    if (add_bos && ids.bos >= 0) {
      single.push_back({{"SpecialToken", {{"id", bos}, {"type_id", 0}}}});
      specials[bos] = {{"id", bos}, {"ids", {ids.bos}}, {"tokens", {bos}}};
    }
    single.push_back({{"Sequence", {{"id", "A"}, {"type_id", 0}}}});
    if (add_eos && ids.eos >= 0) {
      single.push_back({{"SpecialToken", {{"id", eos}, {"type_id", 0}}}});
      specials[eos] = {{"id", eos}, {"ids", {ids.eos}}, {"tokens", {eos}}};
    }
    j["post_processor"] = {{"type", "TemplateProcessing"}, {"single", single}, {"special_tokens", specials}};
  }
  auto t = tok::load_hf_tokenizer_json(j.dump(), path);
  if (t->vocab_size() != static_cast<int32_t>(tokens->count))
    fail(Code::format, path + ": the tokenizer built from 'tokenizer.ggml.tokens' has " +
                           std::to_string(t->vocab_size()) + " ids, not " + std::to_string(tokens->count));
  std::string_view chat_template;
  gguf_string(img, "tokenizer.chat_template", chat_template, path);
  tok::configure_tokenizer(*t, bos, eos, std::string(chat_template), add_bos, add_eos);
  return t;
}

// Protobuf wire format, as far as a SentencePiece ModelProto needs it.
void put_varint(std::string& out, uint64_t v) {
  do {
    const uint8_t c = v & 0x7F;
    v >>= 7;
    out += static_cast<char>(c | (v ? 0x80 : 0));
  } while (v);
}
void put_key(std::string& out, int field, int wire) { put_varint(out, static_cast<uint64_t>(field) << 3 | wire); }
void put_int(std::string& out, int field, int64_t v) {
  put_key(out, field, 0);
  put_varint(out, static_cast<uint64_t>(v));  // negative int32: ten bytes, as protobuf writes it
}
void put_bytes(std::string& out, int field, std::string_view v) {
  put_key(out, field, 2);
  put_varint(out, v.size());
  out += v;
}

// A 'llama' vocabulary (SentencePiece pieces, scores and types, as the converter copies them
// from tokenizer.model) becomes the ModelProto of a SentencePiece BPE model, whose merges
// follow the piece scores as llama.cpp's tokenizer does.
std::shared_ptr<tok::Tokenizer> llama_tokenizer(const GgufImage& img, const std::string& path) {
  const GgufValue* tokens = gguf_array(img, "tokenizer.ggml.tokens", GgufType::string, path);
  if (!tokens || tokens->count == 0) fail(Code::format, path + ": missing metadata 'tokenizer.ggml.tokens'");
  const GgufValue* scores = gguf_array(img, "tokenizer.ggml.scores", GgufType::f32, path);
  const GgufValue* types = gguf_array(img, "tokenizer.ggml.token_type", GgufType::i32, path);
  for (const auto& [key, v] : {std::pair<const char*, const GgufValue*>{"scores", scores}, {"token_type", types}})
    if (v && v->count != tokens->count)
      fail(Code::format, path + ": metadata 'tokenizer.ggml." + key + "' has " + std::to_string(v->count) +
                             " entries but 'tokenizer.ggml.tokens' has " + std::to_string(tokens->count));
  uint64_t unk = 0;  // llama.cpp's default for this vocabulary type
  gguf_uint(img, "tokenizer.ggml.unknown_token_id", unk, path);
  if (unk >= tokens->count)
    fail(Code::format, path + ": metadata 'tokenizer.ggml.unknown_token_id' = " + std::to_string(unk) +
                           " is outside the vocabulary of " + std::to_string(tokens->count));
  const GgufSpecialIds ids = gguf_special_ids(img, path);
  bool add_prefix = true, remove_ws = false, byte_fallback = false;
  gguf_bool(img, "tokenizer.ggml.add_space_prefix", add_prefix, path);
  gguf_bool(img, "tokenizer.ggml.remove_extra_whitespaces", remove_ws, path);

  std::string proto;
  for (size_t i = 0; i < tokens->strings.size(); ++i) {
    int type = types ? static_cast<int>(gguf_array_number(*types, i)) : kNormal;
    if (i == unk) type = kUnknown;
    else if (type == kUnknown) type = kControl;  // SentencePiece allows one unknown piece
    if (type < kNormal || type > kByte)
      fail(Code::format, path + ": metadata 'tokenizer.ggml.token_type[" + std::to_string(i) + "]' = " +
                             std::to_string(type) + " is not a token type (1-6)");
    byte_fallback = byte_fallback || type == kByte;
    std::string piece;
    put_bytes(piece, 1, tokens->strings[i]);
    const float score = scores ? static_cast<float>(gguf_array_number(*scores, i)) : 0.0f;
    put_key(piece, 2, 5);
    piece.append(reinterpret_cast<const char*>(&score), 4);
    put_int(piece, 3, type);
    put_bytes(proto, 1, piece);
  }
  std::string trainer;
  put_int(trainer, 3, 2);  // model_type BPE
  put_int(trainer, 35, byte_fallback ? 1 : 0);
  put_int(trainer, 40, static_cast<int64_t>(unk));
  put_int(trainer, 41, ids.bos);
  put_int(trainer, 42, ids.eos);
  put_int(trainer, 43, ids.pad);
  put_bytes(proto, 2, trainer);
  std::string normalizer;
  put_bytes(normalizer, 1, "identity");
  put_int(normalizer, 3, add_prefix ? 1 : 0);
  put_int(normalizer, 4, remove_ws ? 1 : 0);
  put_int(normalizer, 5, 1);  // escape whitespace as U+2581
  put_bytes(proto, 3, normalizer);

  auto t = tok::load_sentencepiece_bytes(proto, path);
  bool add_bos = true, add_eos = false;  // llama.cpp's defaults for this vocabulary type
  gguf_bool(img, "tokenizer.ggml.add_bos_token", add_bos, path);
  gguf_bool(img, "tokenizer.ggml.add_eos_token", add_eos, path);
  auto text_of = [&](int64_t id) {
    return id >= 0 && static_cast<uint64_t>(id) < tokens->count ? std::string(tokens->strings[static_cast<size_t>(id)])
                                                                 : std::string();
  };
  std::string_view chat_template;
  gguf_string(img, "tokenizer.chat_template", chat_template, path);
  tok::configure_tokenizer(*t, text_of(ids.bos), text_of(ids.eos), std::string(chat_template), add_bos, add_eos);
  return t;
}

}  // namespace

std::shared_ptr<tok::Tokenizer> gguf_tokenizer(const GgufImage& img, const std::string& path) {
  std::string_view model;
  if (!gguf_string(img, "tokenizer.ggml.model", model, path))
    fail(Code::not_found, path + ": the GGUF file holds no tokenizer (no metadata 'tokenizer.ggml.model')");
  if (model == "gpt2") return gpt2_tokenizer(img, path);
  if (model == "llama") return llama_tokenizer(img, path);
  fail(Code::unsupported, path + ": metadata 'tokenizer.ggml.model' = '" + std::string(model).substr(0, 64) +
                              "' is not supported (supported: gpt2, llama)");
}

std::shared_ptr<const tok::Tokenizer> load_gguf_tokenizer(const std::string& path) {
  GgufFile file(path);
  return gguf_tokenizer(file.image(), path);
}

}  // namespace maskkv
