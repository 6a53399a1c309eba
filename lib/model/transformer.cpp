#include "model/transformer.h"

#include <cmath>
#include <numeric>

namespace maskkv {

void rope_tables(const std::vector<int64_t>& positions, int head_dim, double theta,
                 std::vector<float>& cos, std::vector<float>& sin) {
  const int half = head_dim / 2;
  std::vector<float> inv_freq(half);
  for (int j = 0; j < half; ++j)
    inv_freq[j] = 1.0f / static_cast<float>(std::pow(theta, static_cast<double>(static_cast<float>(2 * j) / head_dim)));
  const size_t n = positions.size();
  cos.resize(n * half);
  sin.resize(n * half);
  for (size_t p = 0; p < n; ++p)
    for (int j = 0; j < half; ++j) {
      const float angle = static_cast<float>(positions[p]) * inv_freq[j];
      cos[p * half + j] = std::cos(angle);
      sin[p * half + j] = std::sin(angle);
    }
}

std::vector<int64_t> row_offsets(const std::vector<int64_t>& rows, int64_t width) {
  std::vector<int64_t> off(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) off[i] = rows[i] * width;
  return off;
}

std::vector<float> lm_head(const ModelSpec& s, const Weights& w, Backend& be, const float* x,
                           int64_t m) {
  Buf<float> normed(be, m * int64_t(s.d_model)), logits(be, m * int64_t(s.vocab_size));
  be.rmsnorm(x, m, s.d_model, w.final_norm, s.rms_norm_eps, normed.data());
  be.linear(normed.data(), m, w.lm_head, nullptr, logits.data());
  return to_host(be, logits.data(), logits.size());
}

std::vector<float> forward_logits(const ModelSpec& s, const Weights& w, Backend& be,
                                  const int32_t* ids, int64_t n, const std::vector<int64_t>& rows,
                                  double rope_theta, ForwardObserver* obs) {
  const int64_t d = s.d_model, dq = int64_t(s.n_heads) * s.head_dim,
                dkv = int64_t(s.n_kv_heads) * s.head_dim, f = s.mlp_hidden;
  Buf<float> x(be, n * d), h(be, n * d), q(be, n * dq), k(be, n * dkv), v(be, n * dkv), att(be, n * dq);
  Buf<float> gate(be, n * f), up(be, n * f);
  std::vector<int64_t> positions(n);
  std::iota(positions.begin(), positions.end(), int64_t{0});
  std::vector<float> cos_host, sin_host;
  rope_tables(positions, s.head_dim, rope_theta, cos_host, sin_host);
  const Buf<float> cos = to_backend(be, cos_host), sin = to_backend(be, sin_host);

  be.embed(ids, n, w.embed, x.data());
  for (int l = 0; l < s.n_layers; ++l) {
    const LayerWeights& L = w.layers[l];
    // Attention sub-layer.
    be.rmsnorm(x.data(), n, d, L.attn_norm, s.rms_norm_eps, h.data());
    be.linear(h.data(), n, L.wq, L.q_bias, q.data());
    be.linear(h.data(), n, L.wk, L.k_bias, k.data());
    be.linear(h.data(), n, L.wv, L.v_bias, v.data());
    be.rope(q.data(), n, s.n_heads, s.head_dim, cos.data(), sin.data());
    be.rope(k.data(), n, s.n_kv_heads, s.head_dim, cos.data(), sin.data());
    std::vector<Backend::ScoreRequest> scores;
    if (obs) scores = obs->score_requests(l);
    be.attention(q.data(), k.data(), v.data(), n, n, s.n_heads, s.n_kv_heads, s.head_dim,
                 att.data(), scores.data(), static_cast<int>(scores.size()));
    be.linear(att.data(), n, L.wo, nullptr, h.data());
    if (obs) obs->on_attention(l, x.data(), h.data(), k.data(), v.data());
    be.add(x.data(), h.data(), n * d);
    // SwiGLU feed-forward sub-layer.
    be.rmsnorm(x.data(), n, d, L.ffn_norm, s.rms_norm_eps, h.data());
    be.linear(h.data(), n, L.w_gate, nullptr, gate.data());
    be.linear(h.data(), n, L.w_up, nullptr, up.data());
    be.swiglu(gate.data(), up.data(), n * f, gate.data());
    be.linear(gate.data(), n, L.w_down, nullptr, h.data());
    if (obs) obs->on_ffn(l, h.data());
    be.add(x.data(), h.data(), n * d);
  }
  if (obs) obs->on_final(x.data());
  // Final norm and LM head on the rows that are read.
  const int64_t m = static_cast<int64_t>(rows.size());
  Buf<float> picked(be, m * d);
  be.gather(x.data(), row_offsets(rows, d).data(), m, d, picked.data());
  return lm_head(s, w, be, picked.data(), m);
}

}  // namespace maskkv
