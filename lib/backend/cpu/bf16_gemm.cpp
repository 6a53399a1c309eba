#include "backend/cpu/bf16_gemm.h"

#include <algorithm>

#include "backend/cpu/bf16_gemm_amx.h"
#include "backend/cpu/bf16_gemm_kernels.h"
#include "backend/cpu/cpu_features.h"

namespace maskkv::cpu {

namespace {

int64_t round_up(int64_t v, int64_t to) { return (v + to - 1) / to * to; }

// Per-thread buffers (two of each type) for packed activations, widened weights and bf16 rows,
// grown on demand.
template <class T>
T* thread_buffer(int64_t n, int which) {
  thread_local std::vector<T> buffers[2];
  auto& b = buffers[which];
  if (static_cast<int64_t>(b.size()) < n) b.resize(static_cast<size_t>(n));
  return b.data();
}

}  // namespace

void bf16_linear(ThreadPool& pool, const float* x, int64_t m, const uint16_t* w, int64_t n,
                 int64_t k, const float* bias, bool round_activations, float* y) {
  if (m <= 0 || n <= 0) return;
  // AMX tiles: 16 output rows and 32 inputs at a time; three bf16 parts for f32 activations.
  const bool amx = has_amx_bf16() && k % 32 == 0 && n % 16 == 0;
  const int parts = amx && !round_activations ? 3 : 1;
  // Bytes of one packed activation: two per bf16 value, four per f32 one.
  const int64_t bytes = round_activations || amx ? 2 * parts : 4;
  // Tokens per block: their packed activations (about 768 KiB) stay in L2 while every weight row
  // of the task passes over them.
  int64_t block = std::clamp<int64_t>((768 * 1024) / (bytes * std::max<int64_t>(k, 1)) / 64 * 64, 64, 512);
  if (m <= block) block = m;
  const int64_t blocks = (m + block - 1) / block;
  // Split the weight rows too where there are too few token blocks to keep every thread busy.
  const int64_t threads = pool.size();
  int64_t chunks = blocks >= 2 * threads ? 1 : (4 * threads + blocks - 1) / blocks;
  const int64_t chunk = round_up((n + chunks - 1) / chunks, amx ? 32 : avx512bf16::kTileRows);
  chunks = (n + chunk - 1) / chunk;
  const int64_t packed_words = round_activations || amx ? (k + 1) / 2 : k;
  pool.parallel_for(static_cast<size_t>(blocks * chunks), [&](int, size_t b, size_t e) {
    int64_t packed = -1;
    for (size_t task = b; task < e; ++task) {
      const int64_t tb = static_cast<int64_t>(task) / chunks, c = static_cast<int64_t>(task) % chunks;
      const int64_t t0 = tb * block, rows = std::min(block, m - t0), ldp = round_up(rows, 16);
      const int64_t j0 = c * chunk, j1 = std::min(n, j0 + chunk);
      const float* row_bias = bias ? bias + j0 : nullptr;
      if (amx) {
        const int64_t slice = amx::slice_words(k), part_words = ldp / 16 * slice;
        uint32_t* xp = thread_buffer<uint32_t>(parts * part_words, 0);
        if (tb != packed)
          for (int64_t s = 0; s < ldp / 16; ++s)
            avx512bf16::pack_columns_bf16(x + (t0 + 16 * s) * k, k, std::min<int64_t>(16, rows - 16 * s), k, 16,
                                          xp + s * slice, parts, part_words);
        amx::gemm(w + j0 * k, k, j1 - j0, k, xp, parts, part_words, rows, row_bias, y + t0 * n + j0, n);
      } else if (round_activations) {
        uint32_t* xp = thread_buffer<uint32_t>(packed_words * ldp, 0);
        if (tb != packed) avx512bf16::pack_columns_bf16(x + t0 * k, k, rows, k, ldp, xp);
        avx512bf16::gemm_bf16(w + j0 * k, k, j1 - j0, k, xp, ldp, rows, row_bias, 1.0f, true,
                              y + t0 * n + j0, n);
      } else {
        float* xp = thread_buffer<float>(packed_words * ldp, 0);
        if (tb != packed) avx512bf16::pack_columns_f32(x + t0 * k, k, rows, k, ldp, xp);
        float* a = thread_buffer<float>(avx512bf16::kTileRows * k, 1);
        avx512bf16::gemm_f32(w + j0 * k, k, j1 - j0, k, xp, ldp, rows, row_bias, a, true,
                             y + t0 * n + j0, n);
      }
      packed = tb;
    }
  });
}

void Bf16Attention::pack(ThreadPool& pool, const float* k, const float* v, int64_t n_kv,
                         int n_kv_heads, int head_dim) {
  amx_ = has_amx_bf16() && head_dim % 32 == 0;
  n_kv_ = n_kv;
  head_dim_ = head_dim;
  if (amx_) {
    // K as 16-key slices over head_dim inputs; V as 16-column slices over the keys, zero-padded
    // to a multiple of 32 keys (the probabilities are padded with zeros to match).
    keys_ = round_up(n_kv, 32);
    k_head_ = (n_kv + 15) / 16 * amx::slice_words(head_dim);
    v_head_ = head_dim / 16 * amx::slice_words(keys_);
  } else {
    keys_ = round_up(n_kv, 2);
    k_ld_ = round_up(n_kv, 16);
    v_ld_ = round_up(head_dim, 16);
    k_head_ = (head_dim + 1) / 2 * k_ld_;
    v_head_ = keys_ / 2 * v_ld_;
  }
  k_.resize(static_cast<size_t>(k_head_ * n_kv_heads));
  v_.assign(static_cast<size_t>(v_head_ * n_kv_heads), 0);
  const int64_t ld = int64_t{n_kv_heads} * head_dim;
  pool.parallel_for(static_cast<size_t>(2 * n_kv_heads), [&](int, size_t b, size_t e) {
    for (size_t task = b; task < e; ++task) {
      const int h = static_cast<int>(task / 2);
      const float* kh = k + h * head_dim;
      const float* vh = v + h * head_dim;
      uint32_t* ko = k_.data() + h * k_head_;
      uint32_t* vo = v_.data() + h * v_head_;
      if (task % 2 == 0) {
        if (amx_)
          for (int64_t s = 0; s * 16 < n_kv; ++s)
            avx512bf16::pack_columns_bf16(kh + 16 * s * ld, ld, std::min<int64_t>(16, n_kv - 16 * s), head_dim, 16,
                                          ko + s * amx::slice_words(head_dim));
        else
          avx512bf16::pack_columns_bf16(kh, ld, n_kv, head_dim, k_ld_, ko);
      } else {
        if (amx_)
          for (int c = 0; c < head_dim / 16; ++c)
            avx512bf16::pack_row_pairs_bf16(vh + 16 * c, ld, n_kv, 16, 16, vo + c * amx::slice_words(keys_));
        else
          avx512bf16::pack_row_pairs_bf16(vh, ld, n_kv, head_dim, v_ld_, vo);
      }
    }
  });
}

void Bf16Attention::scores(const float* q, int64_t ldq, int64_t rows, int kv_head, float scale,
                           float* s, int64_t width) const {
  uint16_t* qb = thread_buffer<uint16_t>(round_up(rows, 16) * head_dim_, 0);
  for (int64_t r = 0; r < rows; ++r) avx512bf16::round_to_bf16(q + r * ldq, head_dim_, qb + r * head_dim_);
  const uint32_t* kh = k_.data() + kv_head * k_head_;
  if (amx_)
    amx::gemm_rows(qb, head_dim_, rows, head_dim_, kh, n_kv_, scale, s, width);
  else
    avx512bf16::gemm_bf16(qb, head_dim_, rows, head_dim_, kh, k_ld_, n_kv_, nullptr, scale, false, s, width);
}

void Bf16Attention::weighted_values(const float* p, int64_t width, int64_t rows, int kv_head,
                                    float* out, int64_t ldo) const {
  uint16_t* pb = thread_buffer<uint16_t>(round_up(rows, 16) * keys_, 1);
  for (int64_t r = 0; r < rows; ++r) {
    avx512bf16::round_to_bf16(p + r * width, n_kv_, pb + r * keys_);
    std::fill(pb + r * keys_ + n_kv_, pb + (r + 1) * keys_, uint16_t{0});
  }
  const uint32_t* vh = v_.data() + kv_head * v_head_;
  if (amx_)
    amx::gemm_rows(pb, keys_, rows, keys_, vh, head_dim_, 1.0f, out, ldo);
  else
    avx512bf16::gemm_bf16(pb, keys_, rows, n_kv_, vh, v_ld_, head_dim_, nullptr, 1.0f, false, out, ldo);
}

}  // namespace maskkv::cpu
