#include "model/transformer.h"

#include <cmath>

namespace maskkv {

void rope_tables(int64_t n, int head_dim, double theta, std::vector<float>& cos,
                 std::vector<float>& sin) {
  const int half = head_dim / 2;
  std::vector<float> inv_freq(half);
  for (int j = 0; j < half; ++j)
    inv_freq[j] = 1.0f / static_cast<float>(std::pow(theta, static_cast<double>(static_cast<float>(2 * j) / head_dim)));
  cos.resize(static_cast<size_t>(n * half));
  sin.resize(static_cast<size_t>(n * half));
  for (int64_t p = 0; p < n; ++p)
    for (int j = 0; j < half; ++j) {
      const float angle = static_cast<float>(p) * inv_freq[j];
      cos[p * half + j] = std::cos(angle);
      sin[p * half + j] = std::sin(angle);
    }
}

std::vector<float> forward_logits(const ModelSpec& s, const Weights& w, Backend& be,
                                  const int32_t* ids, int64_t n, const std::vector<int64_t>& rows,
                                  double rope_theta) {
  const int64_t d = s.d_model, dq = int64_t(s.n_heads) * s.head_dim,
                dkv = int64_t(s.n_kv_heads) * s.head_dim, f = s.mlp_hidden;
  std::vector<float> x(n * d), h(n * d), q(n * dq), k(n * dkv), v(n * dkv), att(n * dq);
  std::vector<float> gate(n * f), up(n * f);
  std::vector<float> cos, sin;
  rope_tables(n, s.head_dim, rope_theta, cos, sin);

  be.embed(ids, n, w.embed, x.data());
  for (const LayerWeights& L : w.layers) {
    // Attention sub-layer.
    be.rmsnorm(x.data(), n, d, L.attn_norm.data(), s.rms_norm_eps, h.data());
    be.linear(h.data(), n, L.wq, s.qkv_bias ? L.q_bias.data() : nullptr, q.data());
    be.linear(h.data(), n, L.wk, s.qkv_bias ? L.k_bias.data() : nullptr, k.data());
    be.linear(h.data(), n, L.wv, s.qkv_bias ? L.v_bias.data() : nullptr, v.data());
    be.rope(q.data(), n, s.n_heads, s.head_dim, cos.data(), sin.data());
    be.rope(k.data(), n, s.n_kv_heads, s.head_dim, cos.data(), sin.data());
    be.attention(q.data(), k.data(), v.data(), n, n, s.n_heads, s.n_kv_heads, s.head_dim,
                 att.data());
    be.linear(att.data(), n, L.wo, nullptr, h.data());
    be.add(x.data(), h.data(), n * d);
    // SwiGLU feed-forward sub-layer.
    be.rmsnorm(x.data(), n, d, L.ffn_norm.data(), s.rms_norm_eps, h.data());
    be.linear(h.data(), n, L.w_gate, nullptr, gate.data());
    be.linear(h.data(), n, L.w_up, nullptr, up.data());
    be.swiglu(gate.data(), up.data(), n * f, gate.data());
    be.linear(gate.data(), n, L.w_down, nullptr, h.data());
    be.add(x.data(), h.data(), n * d);
  }
  // Final norm and LM head on the rows that are read.
  const int64_t m = static_cast<int64_t>(rows.size());
  std::vector<float> picked(m * d), normed(m * d), logits(m * int64_t(s.vocab_size));
  for (int64_t i = 0; i < m; ++i)
    std::copy(x.begin() + rows[i] * d, x.begin() + (rows[i] + 1) * d, picked.begin() + i * d);
  be.rmsnorm(picked.data(), m, d, w.final_norm.data(), s.rms_norm_eps, normed.data());
  be.linear(normed.data(), m, w.lm_head, nullptr, logits.data());
  return logits;
}

}  // namespace maskkv
