#include "model/transformer.h"

#include <cmath>
#include <numeric>
#include <string>

#include "core/error.h"
#include "model/row_refresh.h"

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

namespace {

// The activations of one pass, owned by the pass and sized on first use.
struct Scratch {
  Buf<float> x, h, v, k, q, att, hs, gate, up, cos, sin, cos_rows, sin_rows, k_rows, o_rows;
};

// The residuals of the rows whose logits are read: block rows from x [n, D], others from memory.
Buf<float> pick_rows(Backend& be, const float* x, const RowBlock& block, int64_t d,
                     const std::vector<int64_t>& rows, ForwardMemory* memory) {
  const int64_t m = static_cast<int64_t>(rows.size());
  Buf<float> picked(be, static_cast<size_t>(m * d));
  std::vector<int64_t> in_block, dst;
  for (int64_t i = 0; i < m; ++i) {
    const int64_t r = rows[i];
    if (r >= block.first && r < block.first + block.n) {
      in_block.push_back(r - block.first);
      dst.push_back(i);
      continue;
    }
    const float* kept = memory ? memory->final_residual(r) : nullptr;
    if (!kept) fail(Code::internal, "forward pass asked for the logits of row " + std::to_string(r) +
                                        ", which it neither computes nor holds");
    be.copy(picked.data() + i * d, kept, static_cast<size_t>(d) * sizeof(float));
  }
  const int64_t nb = static_cast<int64_t>(in_block.size());
  if (nb == m) {
    be.gather(x, row_offsets(in_block, d).data(), m, d, picked.data());
  } else if (nb > 0) {
    Buf<float> tmp(be, static_cast<size_t>(nb * d));
    be.gather(x, row_offsets(in_block, d).data(), nb, d, tmp.data());
    be.scatter(tmp.data(), row_offsets(dst, d).data(), nb, d, picked.data());
  }
  return picked;
}

}  // namespace

std::vector<float> forward_logits(const ModelSpec& s, const Weights& w, Backend& be,
                                  const RowBlock& block, const std::vector<int64_t>& rows,
                                  double rope_theta, ForwardMemory* memory, ForwardObserver* obs) {
  const int64_t n = block.n, d = s.d_model, dq = int64_t(s.n_heads) * s.head_dim,
                dkv = int64_t(s.n_kv_heads) * s.head_dim, f = s.mlp_hidden, half = s.head_dim / 2;
  const float eps = s.rms_norm_eps;
  Scratch t;
  float* x = ensure_size(be, t.x, n * d);
  float* h = ensure_size(be, t.h, n * d);
  std::vector<int64_t> positions(n);
  std::iota(positions.begin(), positions.end(), block.first);
  std::vector<float> cos_host, sin_host;
  rope_tables(positions, s.head_dim, rope_theta, cos_host, sin_host);
  t.cos = to_backend(be, cos_host);
  t.sin = to_backend(be, sin_host);

  be.embed(block.ids, n, w.embed, x);
  for (int l = 0; l < s.n_layers; ++l) {
    const LayerWeights& L = w.layers[l];
    const PromptKV* prefix = memory ? memory->prefix(l) : nullptr;
    ResponseFeatures* cached = memory ? memory->features(l) : nullptr;
    if (cached && (cached->k.size() != static_cast<size_t>(n * dkv) || cached->v.size() != cached->k.size() ||
                   cached->attn.size() != static_cast<size_t>(n * d) || cached->ffn.size() != cached->attn.size()))
      fail(Code::internal, "cached features of layer " + std::to_string(l) + " do not match the block of " +
                               std::to_string(n) + " rows");
    // Attention sub-layer: V of every row, then Q and K of the rows this layer refreshes. The
    // block's K/V, attention and FFN outputs live in the cache when there is one, else in scratch.
    be.rmsnorm(x, n, d, L.attn_norm, eps, h);
    be.linear(h, n, L.wv, L.v_bias, ensure_size(be, t.v, n * dkv));
    RowRefresh sel =
        cached ? RowRefresh(be, memory->refresh(l, t.v.data(), cached->v.data(), n), n) : RowRefresh(be, n);
    if (cached) std::swap(cached->v, t.v);  // the fresh V is cached; the old buffer is reused next layer
    float* k = cached ? cached->k.data() : ensure_size(be, t.k, n * dkv);
    const float* v = cached ? cached->v.data() : t.v.data();
    float* attn_out = cached ? cached->attn.data() : h;  // h is free once Q and K are computed
    const int64_t m = sel.m();
    if (m > 0) {
      const float* hs = sel.take(h, d, t.hs);
      const float* cos = sel.take(t.cos.data(), half, t.cos_rows);
      const float* sin = sel.take(t.sin.data(), half, t.sin_rows);
      float* q = ensure_size(be, t.q, m * dq);
      float* k_rows = sel.all() ? k : ensure_size(be, t.k_rows, m * dkv);
      be.linear(hs, m, L.wq, L.q_bias, q);
      be.linear(hs, m, L.wk, L.k_bias, k_rows);
      be.rope(q, m, s.n_heads, s.head_dim, cos, sin);
      be.rope(k_rows, m, s.n_kv_heads, s.head_dim, cos, sin);
      sel.put(k_rows, dkv, k);
      float* att = ensure_size(be, t.att, m * dq);
      std::vector<Backend::ScoreRequest> scores;
      if (obs) scores = obs->score_requests(l);
      if (prefix) {
        if (!scores.empty())
          fail(Code::internal, "attention scores are collected only where a block attends to itself alone");
        be.attention_ragged(q, m, prefix->k.data(), prefix->v.data(), prefix->offsets.data(), k, v, n, s.n_heads,
                            s.n_kv_heads, s.head_dim, att);
      } else {
        be.attention(q, k, v, m, n, s.n_heads, s.n_kv_heads, s.head_dim, att, scores.data(),
                     static_cast<int>(scores.size()));
      }
      float* o_rows = sel.all() ? attn_out : ensure_size(be, t.o_rows, m * d);
      be.linear(att, m, L.wo, nullptr, o_rows);
      sel.put(o_rows, d, attn_out);
    }
    if (obs) obs->on_attention(l, x, attn_out, k, v);
    be.add(x, attn_out, n * d);
    // SwiGLU feed-forward sub-layer of the refreshed rows.
    float* ffn_out = cached ? cached->ffn.data() : h;
    if (m > 0) {
      float* hs = sel.all() ? h : ensure_size(be, t.hs, m * d);
      be.rmsnorm(sel.take(x, d, t.o_rows), m, d, L.ffn_norm, eps, hs);
      float* gate = ensure_size(be, t.gate, m * f);
      float* up = ensure_size(be, t.up, m * f);
      be.linear(hs, m, L.w_gate, nullptr, gate);
      be.linear(hs, m, L.w_up, nullptr, up);
      be.swiglu(gate, up, m * f, gate);
      float* f_rows = sel.all() ? ffn_out : ensure_size(be, t.o_rows, m * d);
      be.linear(gate, m, L.w_down, nullptr, f_rows);
      sel.put(f_rows, d, ffn_out);
    }
    if (obs) obs->on_ffn(l, ffn_out);
    be.add(x, ffn_out, n * d);
  }
  if (obs) obs->on_final(x);
  if (rows.empty()) return {};
  // Final norm and LM head on the rows that are read.
  const Buf<float> picked = pick_rows(be, x, block, d, rows, memory);
  return lm_head(s, w, be, picked.data(), static_cast<int64_t>(rows.size()));
}

}  // namespace maskkv
