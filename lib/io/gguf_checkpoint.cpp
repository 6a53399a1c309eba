#include "io/gguf_checkpoint.h"

#include <cstring>
#include <deque>

#include "core/error.h"
#include "core/ggml_blocks.h"

namespace maskkv {

namespace {

enum class Arch { llada, dream };

// GGUF tensor names (llama.cpp's llama-arch.cpp) and the Hugging Face names of the two families.
struct NameMap {
  const char* gguf;
  const char* llada;
  const char* dream;
};
constexpr NameMap kGlobal[] = {
    {"token_embd.weight", "model.transformer.wte.weight", "model.embed_tokens.weight"},
    {"output_norm.weight", "model.transformer.ln_f.weight", "model.norm.weight"},
    {"output.weight", "model.transformer.ff_out.weight", "lm_head.weight"},
};
constexpr NameMap kLayer[] = {
    {"attn_norm.weight", "attn_norm.weight", "input_layernorm.weight"},
    {"attn_q.weight", "q_proj.weight", "self_attn.q_proj.weight"},
    {"attn_k.weight", "k_proj.weight", "self_attn.k_proj.weight"},
    {"attn_v.weight", "v_proj.weight", "self_attn.v_proj.weight"},
    {"attn_q.bias", "q_proj.bias", "self_attn.q_proj.bias"},
    {"attn_k.bias", "k_proj.bias", "self_attn.k_proj.bias"},
    {"attn_v.bias", "v_proj.bias", "self_attn.v_proj.bias"},
    {"attn_output.weight", "attn_out.weight", "self_attn.o_proj.weight"},
    {"ffn_norm.weight", "ff_norm.weight", "post_attention_layernorm.weight"},
    {"ffn_gate.weight", "ff_proj.weight", "mlp.gate_proj.weight"},
    {"ffn_up.weight", "up_proj.weight", "mlp.up_proj.weight"},
    {"ffn_down.weight", "ff_out.weight", "mlp.down_proj.weight"},
};

const char* hf_of(const NameMap& m, Arch a) { return a == Arch::llada ? m.llada : m.dream; }
std::string layer_prefix(Arch a) { return a == Arch::llada ? "model.transformer.blocks." : "model.layers."; }

// "blk.N.<suffix>" -> the Hugging Face name; "" for a name neither family has.
std::string hf_name(const std::string& gguf, Arch a) {
  for (const auto& m : kGlobal)
    if (gguf == m.gguf) return hf_of(m, a);
  if (gguf.compare(0, 4, "blk.") != 0) return "";
  size_t i = 4;
  while (i < gguf.size() && i < 14 && gguf[i] >= '0' && gguf[i] <= '9') ++i;
  if (i == 4 || i >= gguf.size() || gguf[i] != '.' || (gguf[4] == '0' && i > 5)) return "";
  const std::string layer = gguf.substr(4, i - 4), suffix = gguf.substr(i + 1);
  for (const auto& m : kLayer)
    if (suffix == m.gguf) return layer_prefix(a) + layer + "." + hf_of(m, a);
  return "";
}

// A Hugging Face tensor name quoted with its GGUF name, for messages about a missing tensor.
std::string describe_gguf(const std::string& hf) {
  for (Arch a : {Arch::llada, Arch::dream}) {
    for (const auto& m : kGlobal)
      if (hf == hf_of(m, a)) return "'" + std::string(m.gguf) + "' (Hugging Face name '" + hf + "')";
    const std::string root = layer_prefix(a);
    if (hf.compare(0, root.size(), root) != 0) continue;
    const size_t dot = hf.find('.', root.size());
    if (dot == std::string::npos) continue;
    const std::string suffix = hf.substr(dot + 1);
    for (const auto& m : kLayer)
      if (suffix == hf_of(m, a))
        return "'blk." + hf.substr(root.size(), dot - root.size()) + "." + m.gguf + "' (Hugging Face name '" + hf + "')";
  }
  return "'" + hf + "'";
}

struct Storage {
  std::shared_ptr<const void> file;
  std::deque<std::vector<uint8_t>> buffers;
};

class Meta {
 public:
  Meta(const GgufImage& img, const std::string& path, const std::string& arch)
      : img_(img), path_(path), arch_(arch) {}

  std::string key(const char* suffix) const { return arch_ + "." + suffix; }

  // A required count in [lo, hi].
  int64_t count(const char* suffix, int64_t lo, int64_t hi) const {
    uint64_t v = 0;
    if (!gguf_uint(img_, key(suffix), v, path_)) fail(Code::format, path_ + ": missing metadata '" + key(suffix) + "'");
    return in_range(suffix, v, lo, hi);
  }
  bool count_opt(const char* suffix, int64_t lo, int64_t hi, int64_t& out) const {
    uint64_t v = 0;
    if (!gguf_uint(img_, key(suffix), v, path_)) return false;
    out = in_range(suffix, v, lo, hi);
    return true;
  }
  bool real_opt(const char* suffix, double& out) const { return gguf_float(img_, key(suffix), out, path_); }

 private:
  int64_t in_range(const char* suffix, uint64_t v, int64_t lo, int64_t hi) const {
    if (v < static_cast<uint64_t>(lo) || v > static_cast<uint64_t>(hi))
      fail(Code::format, path_ + ": metadata '" + key(suffix) + "' = " + std::to_string(v) + " is outside [" +
                             std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return static_cast<int64_t>(v);
  }
  const GgufImage& img_;
  const std::string& path_;
  std::string arch_;
};

int64_t find_token(const GgufImage& img, const std::string& path, std::initializer_list<const char*> texts) {
  const GgufValue* tokens = gguf_array(img, "tokenizer.ggml.tokens", GgufType::string, path);
  if (!tokens) return -1;
  for (const char* text : texts)
    for (size_t i = 0; i < tokens->strings.size(); ++i)
      if (tokens->strings[i] == text) return static_cast<int64_t>(i);
  return -1;
}

// Converter (llama.cpp LLaDAModel.permute) order of a head's rows: pair i of the head's two
// halves sits at rows 2i and 2i+1. Row (h, half, i) of the Hugging Face matrix is row
// (h, i, half) of the file's.
void unpermute_rows(const uint8_t* src, uint8_t* dst, int64_t rows, size_t row_bytes, int64_t n_head,
                    const std::string& path, const std::string& name) {
  if (n_head <= 0 || rows % (2 * n_head) != 0)
    fail(Code::format, path + ": tensor '" + name + "' has " + std::to_string(rows) +
                           " rows, not a whole number of head pairs for " + std::to_string(n_head) + " heads");
  const int64_t hd = rows / n_head, half = hd / 2;
  for (int64_t h = 0; h < n_head; ++h)
    for (int64_t t = 0; t < 2; ++t)
      for (int64_t i = 0; i < half; ++i)
        std::memcpy(dst + static_cast<size_t>(h * hd + t * half + i) * row_bytes,
                    src + static_cast<size_t>(h * hd + 2 * i + t) * row_bytes, row_bytes);
}

// The dtype a GGUF tensor has in the checkpoint: float types and the two block types maskkv's
// kernels read (Q8_0, Q4_0) as stored, in the memory map; the K-quants are dequantized to bf16.
DType checkpoint_dtype(uint32_t type) {
  switch (static_cast<ggml::Type>(type)) {
    case ggml::Type::f32: return DType::f32;
    case ggml::Type::f16: return DType::f16;
    case ggml::Type::bf16: return DType::bf16;
    case ggml::Type::q8_0: return DType::q8_0;
    case ggml::Type::q4_0: return DType::q4_0;
    default: return DType::bf16;
  }
}

// n values of `type` at src as bf16 at dst, one block row at a time.
void dequantize_to_bf16(uint32_t type, const uint8_t* src, uint16_t* dst, int64_t n) {
  int64_t block = 0;
  size_t bytes = 0;
  ggml::block_shape(type, block, bytes);
  std::vector<float> buf(static_cast<size_t>(block));
  for (int64_t i = 0; i < n; i += block, src += bytes) {
    ggml::to_f32(type, src, buf.data(), block);
    for (int64_t j = 0; j < block; ++j) dst[i + j] = f32_to_bf16(buf[static_cast<size_t>(j)]);
  }
}

}  // namespace

GgufSpecialIds gguf_special_ids(const GgufImage& img, const std::string& path) {
  GgufSpecialIds ids;
  auto id = [&](const char* key, int64_t& out) {
    uint64_t v = 0;
    if (gguf_uint(img, key, v, path)) out = v > (1ull << 31) ? -1 : static_cast<int64_t>(v);
  };
  id("tokenizer.ggml.bos_token_id", ids.bos);
  id("tokenizer.ggml.eos_token_id", ids.eos);
  id("tokenizer.ggml.eot_token_id", ids.eot);
  id("tokenizer.ggml.padding_token_id", ids.pad);
  id("tokenizer.ggml.mask_token_id", ids.mask);
  // llama.cpp finds the end-of-turn token by its text when the file does not name it; the
  // older LLaDA converter wrote no mask id, and LLaDA's mask token is <|mdm_mask|>.
  if (ids.eot < 0) ids.eot = find_token(img, path, {"<|eot_id|>", "<|im_end|>", "<|end_of_turn|>", "<end_of_turn>"});
  if (ids.mask < 0) ids.mask = find_token(img, path, {"<|mdm_mask|>", "<|mask|>"});
  return ids;
}

std::unique_ptr<Checkpoint> gguf_checkpoint(const GgufImage& img, const std::string& path,
                                            std::shared_ptr<const void> keep) {
  std::string_view arch_name;
  if (!gguf_string(img, "general.architecture", arch_name, path))
    fail(Code::format, path + ": missing metadata 'general.architecture'");
  Arch arch;
  if (arch_name == "llada") arch = Arch::llada;
  else if (arch_name == "dream") arch = Arch::dream;
  else
    fail(Code::unsupported, path + ": general.architecture '" + std::string(arch_name).substr(0, 64) +
                                "' is not supported (supported: llada, dream)");
  const std::string a(arch_name);
  Meta meta(img, path, a);
  uint64_t parts = 1;
  if (gguf_uint(img, "split.count", parts, path) && parts > 1)
    fail(Code::unsupported, path + ": this is one of " + std::to_string(parts) +
                                " parts of a split GGUF model; merge them first (llama-gguf-split --merge)");

  // The tensors, renamed; every tensor must be one the family has.
  auto find_tensor = [&](const std::string& name) -> const GgufTensor* {
    auto it = img.tensor_index.find(name);
    return it == img.tensor_index.end() ? nullptr : &img.tensors[it->second];
  };
  const GgufTensor* embd = find_tensor("token_embd.weight");
  if (!embd) fail(Code::format, path + ": missing tensor 'token_embd.weight'");
  if (embd->ne.size() != 2)
    fail(Code::format, path + ": tensor 'token_embd.weight' has " + std::to_string(embd->ne.size()) +
                           " dimensions, expected 2");

  const int64_t n_layers = meta.count("block_count", 1, 1024);
  const int64_t d_model = meta.count("embedding_length", 1, 1 << 16);
  const int64_t n_heads = meta.count("attention.head_count", 1, 1 << 16);
  int64_t n_kv_heads = n_heads;
  meta.count_opt("attention.head_count_kv", 1, 1 << 16, n_kv_heads);
  const int64_t n_ff = meta.count("feed_forward_length", 1, 1 << 20);
  const int64_t vocab = embd->ne[1];

  // Features maskkv does not run are refused by name rather than ignored.
  const int64_t head_dim = d_model % n_heads == 0 ? d_model / n_heads : 0;
  for (const char* k : {"rope.dimension_count", "attention.key_length", "attention.value_length"}) {
    int64_t v = 0;
    if (meta.count_opt(k, 1, 1 << 16, v) && v != head_dim)
      fail(Code::unsupported, path + ": metadata '" + meta.key(k) + "' = " + std::to_string(v) +
                                  " differs from the head dimension " + std::to_string(head_dim) +
                                  " (embedding_length / head_count); partial rotary embeddings are not supported");
  }
  std::string_view scaling;
  if (gguf_string(img, meta.key("rope.scaling.type"), scaling, path) && scaling != "none")
    fail(Code::unsupported, path + ": metadata '" + meta.key("rope.scaling.type") + "' = '" +
                                std::string(scaling).substr(0, 32) +
                                "' is not supported (use maskkv's rope scaling option)");
  bool flag = false;
  if (gguf_bool(img, meta.key("attention.causal"), flag, path) && flag)
    fail(Code::unsupported, path + ": metadata '" + meta.key("attention.causal") +
                                "' = true: maskkv runs diffusion models with bidirectional attention");
  const bool shift = arch == Arch::dream;
  if (gguf_bool(img, "diffusion.shift_logits", flag, path) && flag != shift)
    fail(Code::unsupported, path + ": metadata 'diffusion.shift_logits' = " + (flag ? "true" : "false") +
                                ", but " + a + " models " + (shift ? "shift" : "do not shift") + " their logits");

  nlohmann::json c = nlohmann::json::object();
  int64_t ctx = 0;
  const bool has_ctx = meta.count_opt("context_length", 1, 1 << 22, ctx);
  double theta = 0, eps = 0;
  const bool has_theta = meta.real_opt("rope.freq_base", theta);
  const bool has_eps = meta.real_opt("attention.layer_norm_rms_epsilon", eps);
  const bool tied = find_tensor("output.weight") == nullptr;
  if (arch == Arch::llada) {
    c["model_type"] = "llada";
    c["n_layers"] = n_layers;
    c["d_model"] = d_model;
    c["n_heads"] = n_heads;
    c["n_kv_heads"] = n_kv_heads;
    c["mlp_hidden_size"] = n_ff;
    c["vocab_size"] = vocab;
    c["embedding_size"] = vocab;
    if (has_ctx) c["max_sequence_length"] = ctx;
    c["weight_tying"] = tied;
    c["include_qkv_bias"] = find_tensor("blk.0.attn_q.bias") != nullptr;
  } else {
    c["model_type"] = "Dream";
    c["num_hidden_layers"] = n_layers;
    c["hidden_size"] = d_model;
    c["num_attention_heads"] = n_heads;
    c["num_key_value_heads"] = n_kv_heads;
    c["intermediate_size"] = n_ff;
    c["vocab_size"] = vocab;
    if (has_ctx) c["max_position_embeddings"] = ctx;
    c["tie_word_embeddings"] = tied;
  }
  if (has_theta) c["rope_theta"] = theta;
  if (has_eps) c["rms_norm_eps"] = eps;
  const GgufSpecialIds ids = gguf_special_ids(img, path);
  if (ids.mask < 0)
    fail(Code::format, path + ": no mask token: metadata 'tokenizer.ggml.mask_token_id' is absent and the "
                              "vocabulary has no <|mdm_mask|> or <|mask|> token");
  c["mask_token_id"] = ids.mask;
  // An id the file does not give is set past the vocabulary, which parse_model_spec reads as
  // "none" (rather than the family's default ids, which belong to another vocabulary).
  c["bos_token_id"] = ids.bos >= 0 ? ids.bos : vocab;
  c["eos_token_id"] = ids.eos >= 0 ? ids.eos : vocab;
  c["eot_token_id"] = ids.eot >= 0 ? ids.eot : vocab;

  auto storage = std::make_shared<Storage>();
  storage->file = std::move(keep);
  std::map<std::string, TensorInfo> tensors;
  for (const GgufTensor& g : img.tensors) {
    const std::string hf = hf_name(g.name, arch);
    if (hf.empty())
      fail(Code::format, path + ": tensor '" + g.name + "' is not a tensor of a " + a + " model");
    TensorInfo t;
    t.name = hf;
    t.file = path + " (GGUF tensor '" + g.name + "')";
    for (auto it = g.ne.rbegin(); it != g.ne.rend(); ++it) t.shape.push_back(*it);
    t.dtype = checkpoint_dtype(g.type);
    t.data = g.data;
    std::vector<uint8_t>* owned = nullptr;
    if (t.dtype == DType::q8_0 || t.dtype == DType::q4_0) {
      t.nbytes = g.nbytes;  // ggml's block layout is maskkv's (core/quant_blocks.h)
    } else {
      t.nbytes = static_cast<size_t>(g.numel) * dtype_size(t.dtype);
      if (t.nbytes != g.nbytes) {  // a K-quant
        owned = &storage->buffers.emplace_back(t.nbytes);
        dequantize_to_bf16(g.type, g.data, reinterpret_cast<uint16_t*>(owned->data()), g.numel);
        t.data = owned->data();
      }
    }
    const bool q = g.name.find(".attn_q.") != std::string::npos;
    const bool k = g.name.find(".attn_k.") != std::string::npos;
    if (arch == Arch::llada && (q || k)) {
      const int64_t rows = t.shape[0];
      std::vector<uint8_t> out(t.nbytes);
      unpermute_rows(t.data, out.data(), rows, t.nbytes / static_cast<size_t>(rows), q ? n_heads : n_kv_heads,
                     path, g.name);
      if (!owned) owned = &storage->buffers.emplace_back();
      owned->swap(out);
      t.data = owned->data();
    }
    tensors.emplace(hf, std::move(t));
  }
  return std::make_unique<Checkpoint>(path, std::move(c), std::move(tensors), std::move(storage), describe_gguf);
}

std::unique_ptr<Checkpoint> load_gguf_checkpoint(const std::string& path) {
  auto file = std::make_shared<GgufFile>(path);
  const GgufImage& img = file->image();
  return gguf_checkpoint(img, path, file);
}

}  // namespace maskkv
