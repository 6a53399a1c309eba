#include "model/model_spec.h"

#include "core/error.h"
#include "io/checkpoint.h"

namespace maskkv {

namespace {

// Reads an integer config field, checking presence, type and range.
int get_int(const nlohmann::json& c, const std::string& path, const char* key, int lo, int hi) {
  if (!c.contains(key) || c[key].is_null()) fail(Code::format, path + ": missing key '" + key + "'");
  const auto& v = c[key];
  if (!v.is_number_integer())
    fail(Code::format, path + ": key '" + key + "' must be an integer, got " + json_brief(v));
  // An unsigned value past INT64_MAX would read as negative: compare and print it as written.
  const bool huge = v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(hi);
  int64_t x = huge ? int64_t{hi} + 1 : v.get<int64_t>();
  if (x < lo || x > hi)
    fail(Code::format, path + ": key '" + key + "' = " + json_brief(v) + " is outside [" +
                           std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return static_cast<int>(x);
}

int get_int_or(const nlohmann::json& c, const std::string& path, const char* key, int lo, int hi,
               int fallback) {
  if (!c.contains(key) || c[key].is_null()) return fallback;
  return get_int(c, path, key, lo, hi);
}

double get_double_or(const nlohmann::json& c, const std::string& path, const char* key,
                     double lo, double hi, double fallback) {
  if (!c.contains(key) || c[key].is_null()) return fallback;
  const auto& v = c[key];
  if (!v.is_number()) fail(Code::format, path + ": key '" + key + "' must be a number");
  double x = v.get<double>();
  if (!(x >= lo && x <= hi))
    fail(Code::format, path + ": key '" + key + "' = " + json_brief(v) + " is outside the sane range");
  return x;
}

bool get_bool_or(const nlohmann::json& c, const std::string& path, const char* key, bool fallback) {
  if (!c.contains(key) || c[key].is_null()) return fallback;
  if (!c[key].is_boolean()) fail(Code::format, path + ": key '" + key + "' must be true or false");
  return c[key].get<bool>();
}

// A token id field that may be an integer or a list (HF allows eos_token_id: [a, b]).
int get_token_id_or(const nlohmann::json& c, const std::string& path, const char* key,
                    int fallback) {
  if (!c.contains(key) || c[key].is_null()) return fallback;
  const auto& v = c[key];
  const auto& first = v.is_array() && !v.empty() ? v[0] : v;
  if (!first.is_number_integer() || first.get<int64_t>() < 0 ||
      first.get<int64_t>() > (1 << 30))
    fail(Code::format, path + ": key '" + key + "' is not a valid token id: " + json_brief(v));
  return static_cast<int>(first.get<int64_t>());
}

constexpr int kMaxDim = 1 << 16;
constexpr int kMaxVocab = 1 << 22;
constexpr int kMaxLayers = 1024;
constexpr int kMaxContext = 1 << 22;

void require_feature(const nlohmann::json& c, const std::string& path, const char* key,
                     const nlohmann::json& expected) {
  if (c.contains(key) && !c[key].is_null() && c[key] != expected)
    fail(Code::unsupported, path + ": " + key + " = " + json_brief(c[key]) + " is not supported (need " +
                                expected.dump() + ")");
}

ModelSpec parse_llada(const nlohmann::json& c, const std::string& path) {
  ModelSpec s;
  s.family = Family::llada;
  s.n_layers = get_int(c, path, "n_layers", 1, kMaxLayers);
  s.d_model = get_int(c, path, "d_model", 1, kMaxDim);
  s.n_heads = get_int(c, path, "n_heads", 1, kMaxDim);
  s.n_kv_heads = get_int_or(c, path, "n_kv_heads", 1, kMaxDim, s.n_heads);
  s.mlp_hidden = get_int(c, path, "mlp_hidden_size", 1, 1 << 20);
  int vocab = get_int(c, path, "vocab_size", 1, kMaxVocab);
  s.vocab_size = get_int_or(c, path, "embedding_size", vocab, kMaxVocab, vocab);
  s.max_seq_len = get_int_or(c, path, "max_sequence_length", 1, kMaxContext, 4096);
  s.rope_theta = get_double_or(c, path, "rope_theta", 1.0, 1e12, 10000.0);
  s.rms_norm_eps = static_cast<float>(get_double_or(c, path, "rms_norm_eps", 0.0, 1.0, 1e-5));
  s.tied_embeddings = get_bool_or(c, path, "weight_tying", false);
  if (get_bool_or(c, path, "include_bias", false))
    fail(Code::unsupported, path + ": include_bias = true is not supported (LLaDA has no biases)");
  s.qkv_bias = get_bool_or(c, path, "include_qkv_bias", false);
  require_feature(c, path, "rope", true);
  require_feature(c, path, "alibi", false);
  require_feature(c, path, "layer_norm_type", "rms");
  require_feature(c, path, "activation_type", "silu");
  require_feature(c, path, "scale_logits", false);
  require_feature(c, path, "attention_layer_norm", false);
  if (c.contains("clip_qkv") && !c["clip_qkv"].is_null())
    fail(Code::unsupported, path + ": clip_qkv = " + json_brief(c["clip_qkv"]) + " is not supported");
  s.mask_id = get_token_id_or(c, path, "mask_token_id", 126336);
  s.eos_id = get_token_id_or(c, path, "eos_token_id", 126081);
  s.bos_id = get_token_id_or(c, path, "bos_token_id", 126080);
  s.eot_id = get_token_id_or(c, path, "eot_token_id", 126348);
  return s;
}

ModelSpec parse_dream(const nlohmann::json& c, const std::string& path) {
  ModelSpec s;
  s.family = Family::dream;
  s.n_layers = get_int(c, path, "num_hidden_layers", 1, kMaxLayers);
  s.d_model = get_int(c, path, "hidden_size", 1, kMaxDim);
  s.n_heads = get_int(c, path, "num_attention_heads", 1, kMaxDim);
  s.n_kv_heads = get_int_or(c, path, "num_key_value_heads", 1, kMaxDim, s.n_heads);
  s.mlp_hidden = get_int(c, path, "intermediate_size", 1, 1 << 20);
  s.vocab_size = get_int(c, path, "vocab_size", 1, kMaxVocab);
  s.max_seq_len = get_int_or(c, path, "max_position_embeddings", 1, kMaxContext, 32768);
  s.rope_theta = get_double_or(c, path, "rope_theta", 1.0, 1e12, 1e6);
  s.rms_norm_eps = static_cast<float>(get_double_or(c, path, "rms_norm_eps", 0.0, 1.0, 1e-6));
  s.tied_embeddings = get_bool_or(c, path, "tie_word_embeddings", false);
  s.qkv_bias = true;
  s.logit_shift = true;
  if (c.contains("rope_scaling") && !c["rope_scaling"].is_null())
    fail(Code::unsupported, path + ": rope_scaling = " + json_brief(c["rope_scaling"]) +
                                " is not supported (use maskkv's rope scaling option)");
  require_feature(c, path, "hidden_act", "silu");
  s.mask_id = get_token_id_or(c, path, "mask_token_id", 151666);
  s.eos_id = get_token_id_or(c, path, "eos_token_id", 151643);
  s.bos_id = get_token_id_or(c, path, "bos_token_id", 151643);
  s.eot_id = get_token_id_or(c, path, "eot_token_id", 151645);
  return s;
}

}  // namespace

const char* family_name(Family f) { return f == Family::llada ? "llada" : "dream"; }

uint64_t ModelSpec::n_params() const {
  uint64_t d = d_model, hd = head_dim, kv = static_cast<uint64_t>(n_kv_heads) * hd;
  uint64_t q = static_cast<uint64_t>(n_heads) * hd;
  uint64_t per_layer = d * q + 2 * d * kv + q * d + 3 * d * mlp_hidden + 2 * d;
  if (qkv_bias) per_layer += q + 2 * kv;
  uint64_t total = per_layer * n_layers + static_cast<uint64_t>(vocab_size) * d + d;
  if (!tied_embeddings) total += static_cast<uint64_t>(vocab_size) * d;
  return total;
}

ModelSpec parse_model_spec(const nlohmann::json& c, const std::string& path) {
  if (!c.is_object()) fail(Code::format, path + ": not a JSON object");
  if (!c.contains("model_type") || !c["model_type"].is_string())
    fail(Code::format, path + ": missing key 'model_type'");
  std::string type = c["model_type"].get<std::string>();
  ModelSpec s;
  if (type == "llada" || type == "LLaDA")
    s = parse_llada(c, path);
  else if (type == "Dream" || type == "dream")
    s = parse_dream(c, path);
  else
    fail(Code::unsupported, path + ": model_type '" + type +
                                "' is not supported (supported: llada, Dream)");
  s.model_type = type;
  if (s.d_model % s.n_heads != 0)
    fail(Code::format, path + ": hidden size " + std::to_string(s.d_model) +
                           " is not divisible by the head count " + std::to_string(s.n_heads));
  if (s.n_heads % s.n_kv_heads != 0)
    fail(Code::format, path + ": head count " + std::to_string(s.n_heads) +
                           " is not divisible by the KV head count " + std::to_string(s.n_kv_heads));
  s.head_dim = s.d_model / s.n_heads;
  if (c.contains("head_dim") && !c["head_dim"].is_null() &&
      get_int(c, path, "head_dim", 1, kMaxDim) != s.head_dim)
    fail(Code::unsupported, path + ": head_dim differs from hidden_size / heads");
  if (s.head_dim % 2 != 0)
    fail(Code::format, path + ": head dimension " + std::to_string(s.head_dim) +
                           " must be even for rotary embeddings");
  if (s.mask_id >= s.vocab_size)
    fail(Code::format, path + ": mask_token_id " + std::to_string(s.mask_id) +
                           " is outside the vocabulary of " + std::to_string(s.vocab_size));
  if (s.eos_id >= s.vocab_size) s.eos_id = -1;
  if (s.bos_id >= s.vocab_size) s.bos_id = -1;
  if (s.eot_id >= s.vocab_size) s.eot_id = -1;
  return s;
}

}  // namespace maskkv
