#include "model/weights.h"

#include <cstring>

#include "core/error.h"

namespace maskkv {

namespace {

// Tensor names of the two families' Hugging Face checkpoints (LLaDA/OLMo and Dream/Qwen2).
struct Names {
  std::string embed, final_norm, lm_head;
  std::string attn_norm, q, k, v, o, ffn_norm, gate, up, down, q_bias, k_bias, v_bias;
};

Names names_for(Family f) {
  if (f == Family::llada)
    return {"model.transformer.wte.weight", "model.transformer.ln_f.weight",
            "model.transformer.ff_out.weight", "attn_norm.weight", "q_proj.weight",
            "k_proj.weight", "v_proj.weight", "attn_out.weight", "ff_norm.weight",
            "ff_proj.weight", "up_proj.weight", "ff_out.weight", "q_proj.bias", "k_proj.bias",
            "v_proj.bias"};
  return {"model.embed_tokens.weight", "model.norm.weight", "lm_head.weight",
          "input_layernorm.weight", "self_attn.q_proj.weight", "self_attn.k_proj.weight",
          "self_attn.v_proj.weight", "self_attn.o_proj.weight", "post_attention_layernorm.weight",
          "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight",
          "self_attn.q_proj.bias", "self_attn.k_proj.bias", "self_attn.v_proj.bias"};
}

std::string layer_prefix(Family f, int i) {
  return f == Family::llada ? "model.transformer.blocks." + std::to_string(i) + "."
                            : "model.layers." + std::to_string(i) + ".";
}

[[noreturn]] void non_finite(const TensorInfo& t, const std::string& name, int64_t index) {
  fail(Code::format, t.file + ": tensor '" + name + "' holds a non-finite value (NaN or Inf) at index " +
                         std::to_string(index));
}

class Binder {
 public:
  Binder(const Checkpoint& c, Weights& w, bool scan_all) : c_(c), w_(w), scan_all_(scan_all) {}

  const TensorInfo& expect(const std::string& name, std::vector<int64_t> shape) {
    const TensorInfo& t = c_.get(name);
    if (t.shape != shape) {
      TensorInfo want;
      want.shape = shape;
      fail(Code::format, t.file + ": tensor '" + name + "' has shape " + t.shape_string() +
                             " but config.json implies " + want.shape_string());
    }
    w_.bytes += t.nbytes;
    return t;
  }

  WeightView matrix(const std::string& name, int64_t rows, int64_t cols) {
    const TensorInfo& t = expect(name, {rows, cols});
    if (scan_all_) {
      const int64_t bad = first_non_finite(t.dtype, t.data, static_cast<size_t>(rows * cols));
      if (bad >= 0) non_finite(t, name, bad);
    }
    return WeightView{t.dtype, t.data, rows, cols};
  }

  const float* vector(const std::string& name, int64_t n) {
    const TensorInfo& t = expect(name, {n});
    std::vector<float> out(static_cast<size_t>(n));
    convert_to_f32(t.dtype, t.data, out.data(), out.size());
    const int64_t bad = first_non_finite(DType::f32, out.data(), out.size());
    if (bad >= 0) non_finite(t, name, bad);
    w_.host_vectors->push_back(std::move(out));
    return w_.host_vectors->back().data();
  }

 private:
  const Checkpoint& c_;
  Weights& w_;
  bool scan_all_;
};

}  // namespace

int64_t first_non_finite(DType dtype, const void* data, size_t n) {
  // All-ones exponent bits: Inf or NaN. Read with memcpy: mapped tensors need not be aligned.
  const auto* p = static_cast<const uint8_t*>(data);
  if (dtype == DType::f32) {
    for (size_t i = 0; i < n; ++i) {
      uint32_t v;
      std::memcpy(&v, p + 4 * i, 4);
      if ((v & 0x7F800000u) == 0x7F800000u) return static_cast<int64_t>(i);
    }
    return -1;
  }
  if (dtype_is_interleaved(dtype))
    fail(Code::internal, std::string("first_non_finite: ") + dtype_name(dtype) + " is read a group at a time");
  if (dtype_is_block(dtype)) {
    // A block's values are finite exactly when its f16 scale (its first two bytes) is; the
    // index reported is the block's first value.
    const size_t block_bytes = dtype_row_bytes(dtype, 32);
    for (size_t b = 0; b < n / 32; ++b) {
      uint16_t d;
      std::memcpy(&d, p + b * block_bytes, 2);
      if ((d & 0x7C00u) == 0x7C00u) return static_cast<int64_t>(b * 32);
    }
    return -1;
  }
  const uint16_t mask = dtype == DType::bf16 ? 0x7F80u : 0x7C00u;
  for (size_t i = 0; i < n; ++i) {
    uint16_t v;
    std::memcpy(&v, p + 2 * i, 2);
    if ((v & mask) == mask) return static_cast<int64_t>(i);
  }
  return -1;
}

namespace {
// A checkpoint with more layers than config.json declares would run silently as a shallower
// model (a config cut down by mistake or on purpose): refuse it, naming a tensor of the first
// layer past the declared ones.
void check_no_extra_layers(const ModelSpec& s, const Checkpoint& c) {
  const std::string root = s.family == Family::llada ? "model.transformer.blocks." : "model.layers.";
  for (auto it = c.tensors().lower_bound(root); it != c.tensors().end(); ++it) {
    const std::string& name = it->first;
    if (name.compare(0, root.size(), root) != 0) break;
    size_t i = root.size();
    int64_t layer = 0;
    while (i < name.size() && name[i] >= '0' && name[i] <= '9' && layer <= s.n_layers)
      layer = layer * 10 + (name[i++] - '0');
    if (i == root.size() || layer < s.n_layers) continue;
    fail(Code::format, it->second.file + ": tensor '" + name + "' belongs to layer " +
                           name.substr(root.size(), name.find('.', root.size()) - root.size()) +
                           " but config.json declares " + std::to_string(s.n_layers) +
                           " layers; the checkpoint holds more layers than the config");
  }
}
}  // namespace

Weights bind_weights(const ModelSpec& s, const Checkpoint& c) { return bind_weights(s, c, false); }

Weights bind_weights(const ModelSpec& s, const Checkpoint& c, bool scan_all_weights) {
  Weights w;
  w.host_vectors = std::make_shared<std::deque<std::vector<float>>>();
  Binder b(c, w, scan_all_weights);
  const Names n = names_for(s.family);
  const int64_t d = s.d_model, q = int64_t(s.n_heads) * s.head_dim,
                kv = int64_t(s.n_kv_heads) * s.head_dim, f = s.mlp_hidden, vocab = s.vocab_size;
  w.embed = b.matrix(n.embed, vocab, d);
  w.dtype = w.embed.dtype;
  w.final_norm = b.vector(n.final_norm, d);
  if (s.tied_embeddings) {
    w.lm_head = w.embed;
    // A separate LM head that the tied config would ignore must be the embedding itself.
    if (c.has(n.lm_head)) {
      const TensorInfo& head = c.get(n.lm_head);
      const TensorInfo& embed = c.get(n.embed);
      if (head.shape != embed.shape || head.dtype != embed.dtype || head.nbytes != embed.nbytes ||
          std::memcmp(head.data, embed.data, head.nbytes) != 0)
        fail(Code::format, head.file + ": tensor '" + n.lm_head + "' differs from '" + n.embed +
                               "', but config.json ties the embeddings: the LM head would be ignored");
    }
  } else {
    w.lm_head = b.matrix(n.lm_head, vocab, d);
  }
  for (int i = 0; i < s.n_layers; ++i) {
    const std::string p = layer_prefix(s.family, i);
    LayerWeights L;
    L.attn_norm = b.vector(p + n.attn_norm, d);
    L.wq = b.matrix(p + n.q, q, d);
    L.wk = b.matrix(p + n.k, kv, d);
    L.wv = b.matrix(p + n.v, kv, d);
    if (s.qkv_bias) {
      L.q_bias = b.vector(p + n.q_bias, q);
      L.k_bias = b.vector(p + n.k_bias, kv);
      L.v_bias = b.vector(p + n.v_bias, kv);
    }
    L.wo = b.matrix(p + n.o, d, q);
    L.ffn_norm = b.vector(p + n.ffn_norm, d);
    L.w_gate = b.matrix(p + n.gate, f, d);
    L.w_up = b.matrix(p + n.up, f, d);
    L.w_down = b.matrix(p + n.down, d, f);
    w.dtype = L.wq.dtype;
    w.layers.push_back(std::move(L));
  }
  check_no_extra_layers(s, c);
  return w;
}

Weights place_weights(const ModelSpec& s, const Weights& host, Backend& be) {
  if (be.host_memory()) return host;
  const int64_t d = s.d_model, q = int64_t(s.n_heads) * s.head_dim, kv = int64_t(s.n_kv_heads) * s.head_dim;
  auto matrix = [&be](WeightView v) {
    v.data = be.resident(v.data, static_cast<size_t>(v.rows) * dtype_row_bytes(v.dtype, v.cols));
    return v;
  };
  auto vec = [&be](const float* p, int64_t n) {
    return p ? static_cast<const float*>(be.resident(p, static_cast<size_t>(n) * sizeof(float))) : nullptr;
  };
  Weights w = host;
  w.embed = matrix(host.embed);
  w.lm_head = matrix(host.lm_head);  // tied embeddings: the same host pointer, one copy
  w.final_norm = vec(host.final_norm, d);
  for (LayerWeights& L : w.layers) {
    L.attn_norm = vec(L.attn_norm, d);
    L.ffn_norm = vec(L.ffn_norm, d);
    L.q_bias = vec(L.q_bias, q);
    L.k_bias = vec(L.k_bias, kv);
    L.v_bias = vec(L.v_bias, kv);
    for (WeightView* m : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down}) *m = matrix(*m);
  }
  return w;
}

}  // namespace maskkv
