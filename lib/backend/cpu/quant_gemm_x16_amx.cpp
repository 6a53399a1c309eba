// The interleaved quantized GEMM (cpu/quant_gemm.h) on AMX tiles (TDPBSSD: signed bytes times
// signed bytes). A tile of a weight group (core/quant_interleave.h) holds, past its sixteen
// scales, the B operand of a tile product with K = 32 (eight rows of four values for each of
// sixteen columns) up to a fixed transformation: Q8_0 bytes are q + 128 and become q by
// flipping their top bit; a Q4_0 nibble q becomes the byte 16 (q - 8), whose factor 16 (a power
// of two, so exact) is taken out of the block's scale. Products are then plain signed dots and
// need no correction for the stored offset.
//
// Up to sixteen activation rows of one block are the A operand. One instruction gives those
// rows' integer dots with the sixteen columns, which the vector unit scales into f32 sums block
// by block (the scales change every 32 values, so the integer sums cannot run longer). Two
// blocks are in flight at a time.
//
// Called only when the CPU has AMX-INT8 (cpu::has_amx_int8, which also obtains the OS
// permission).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <cstring>
#include <vector>

#include "backend/cpu/amx_tiles.h"
#include "backend/cpu/quant_gemm.h"
#include "core/quant_blocks.h"
#include "core/quant_interleave.h"

// As in quant_gemm_vnni.cpp: the instructions are enabled for this file's own functions only,
// after the includes, so that no inline function shared with baseline code is compiled for them.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("amx-tile,amx-int8,avx512f,avx512bw,avx512vl,f16c"))), \
                             apply_to = function)
#else
#pragma GCC target("amx-tile,amx-int8,avx512f,avx512bw,avx512vl,f16c")
#endif

namespace maskkv::cpu {

namespace {

constexpr int kTileRows = 16;
constexpr int kWeightBytes = 512;                      // a tile's values as the B operand
constexpr int kActivationBytes = kTileRows * kQuantBlock;  // one block of a pass's rows

// Passes of 16 rows (group_rows): tiles 0-1 the activations of two blocks (R rows x 32 bytes),
// 2-3 the weights of those blocks (8 rows x 64 bytes), 4-5 their integer products (R rows x 16
// int32); R, the activation rows of one pass (at most 16), is set per pass: tiles of fewer rows
// load and store less. 17 to 32 rows at once (joint_rows): tiles 0-1 the two row halves' (16 and
// B rows) activations of one block, 2 its weights, 4-5 the two halves' products.
struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t bytes_per_row[16] = {kQuantBlock, kQuantBlock, 64, 64, 64, 64};
  uint8_t rows[16] = {};
};

// One configuration per pass height, in static memory: the configuration is read by an
// instruction the compiler sees as touching only its first bytes, so it must not be a local
// whose stores could be dropped.
struct TileConfigs {
  TileConfigs() {
    for (int r = 1; r <= kTileRows; ++r) {
      TileConfig& c = by_rows[r];
      c.rows[0] = c.rows[1] = c.rows[4] = c.rows[5] = static_cast<uint8_t>(r);
      c.rows[2] = c.rows[3] = 8;
      TileConfig& j = joint[r];
      j.rows[0] = j.rows[4] = kTileRows;
      j.rows[1] = j.rows[5] = static_cast<uint8_t>(r);
      j.rows[2] = 8;
      j.bytes_per_row[3] = 0;  // tile 3 unused: a tile of no rows must have no bytes
    }
  }
  TileConfig by_rows[kTileRows + 1];  // by the pass's rows
  TileConfig joint[kTileRows + 1];    // by the second half's rows
};

// How far ahead weight tiles are prefetched: into L1 for the next steps, and into L2 far enough
// ahead that the memory's latency is hidden behind the arithmetic (the hardware prefetcher alone
// leaves the loads waiting). Prefetches past a weight's end are harmless hints.
constexpr int64_t kPrefetchL1Tiles = 8;
constexpr int64_t kPrefetchL2Tiles = 64;
// Weight tiles are made signed this many steps before their product, so that the tile load
// never waits for the vector stores that wrote it.
constexpr int64_t kSignedAhead = 2;
constexpr int64_t kSignedRing = 4;  // buffers of signed tiles (a power of two above kSignedAhead)

// The activations of one call, rearranged for tile loads: for each pass of sixteen rows and each
// block, the pass's rows' 32 bytes one after the other (a 512-byte A operand with a 32-byte row
// stride), and their sixteen scales likewise. Kept per thread between calls.
struct PassTiles {
  std::vector<int8_t> q;  // [passes][blocks][16][32]
  std::vector<float> d;   // [passes][blocks][16]
};

const PassTiles& pass_tiles(const QuantRows& x) {
  thread_local PassTiles t;
  const int64_t nb = x.k / kQuantBlock, passes = (x.m + kTileRows - 1) / kTileRows;
  t.q.resize(static_cast<size_t>(passes * nb * kActivationBytes));
  t.d.resize(static_cast<size_t>(passes * nb * kTileRows));
  for (int64_t r = 0; r < x.m; ++r) {
    const int64_t p = r / kTileRows, slot = r % kTileRows;
    for (int64_t b = 0; b < nb; ++b) {
      std::memcpy(&t.q[(p * nb + b) * kActivationBytes + slot * kQuantBlock], x.q + r * x.k + b * kQuantBlock,
                  kQuantBlock);
      t.d[(p * nb + b) * kTileRows + slot] = x.d[r * nb + b];
    }
  }
  return t;
}

// A weight tile's values (past its scales) as the signed B operand, into 512 aligned bytes.
template <DType T>
inline void signed_tile(const uint8_t* q, uint8_t* out) {
  const __m512i top = _mm512_set1_epi8(static_cast<char>(0x80));
  if constexpr (T == DType::q8_0_x16) {
    for (int c = 0; c < 8; ++c)
      _mm512_store_si512(out + 64 * c, _mm512_xor_si512(_mm512_loadu_si512(q + 64 * c), top));
  } else {
    // Each byte holds value t in its low nibble and t + 16 in its high one. (byte & 0xF0) ^ 0x80
    // read as signed is 16 (high - 8); the same of the byte shifted left by four is 16 (low - 8).
    // 0x6A is the ternary-logic table of (a & b) ^ c.
    const __m512i high = _mm512_set1_epi8(static_cast<char>(0xF0));
    for (int c = 0; c < 4; ++c) {
      const __m512i v = _mm512_loadu_si512(q + 64 * c);
      _mm512_store_si512(out + 64 * c, _mm512_ternarylogic_epi32(_mm512_slli_epi16(v, 4), high, top, 0x6A));
      _mm512_store_si512(out + 64 * (c + 4), _mm512_ternarylogic_epi32(v, high, top, 0x6A));
    }
  }
}

// The scales of a tile's sixteen columns as f32 (Q4_0: divided by the 16 its signed bytes carry).
template <DType T>
inline __m512 weight_scales(const uint8_t* tile) {
  const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(tile)));
  return T == DType::q4_0_x16 ? _mm512_mul_ps(dw, _mm512_set1_ps(1.0f / 16.0f)) : dw;
}

// acc + dot * d_x * d_w for one activation row's sixteen integer products (dw: weight_scales).
inline __m512 scaled_row(const int32_t* dot, float dx, __m512 dw, __m512 acc) {
  const __m512 p = _mm512_cvtepi32_ps(_mm512_load_si512(dot));
  return _mm512_fmadd_ps(_mm512_mul_ps(p, _mm512_set1_ps(dx)), dw, acc);
}

// acc[r] += dot[r] * d_x[r] * d_w over the R rows of one block's products.
template <int R>
inline void scale_block(const int32_t* dot, __m512 dw, const float* dx, __m512 (&acc)[R]) {
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) acc[r] = scaled_row(dot + 16 * r, dx[r], dw, acc[r]);
}

// Prefetches the weight tiles `count` tiles past tile b: into L1 from kPrefetchL1Tiles ahead,
// into L2 from kPrefetchL2Tiles ahead.
template <DType T>
inline void prefetch_ahead(const uint8_t* group, int64_t b, int64_t count) {
  for (int64_t off = 0; off < count * kInterleavedTileBytes<T>; off += 64) {
    _mm_prefetch(reinterpret_cast<const char*>(group + (b + kPrefetchL1Tiles) * kInterleavedTileBytes<T> + off),
                 _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(group + (b + kPrefetchL2Tiles) * kInterleavedTileBytes<T> + off),
                 _MM_HINT_T1);
  }
}

// R (<= 16) activation rows of one pass times the sixteen columns of one group, over all k, two
// blocks per step. The steps are pipelined: weight tiles are made signed kSignedAhead steps
// early, and a step's tile products are issued before the vector unit scales the previous
// step's (stored to the other half of `dot`). The accumulators stay in registers only while
// every loop over them is fully unrolled and no lambda captures them: otherwise GCC keeps the
// array in memory, loading and storing each accumulator once per block.
template <DType T, int R>
void group_rows(const int8_t* xq, const float* xd, int64_t nb, const uint8_t* group, float* y, int64_t ldy) {
  constexpr int64_t tile_bytes = kInterleavedTileBytes<T>;
  alignas(64) int32_t dot[2][2][kTileRows * 16];
  alignas(64) uint8_t weights[kSignedRing][2][kWeightBytes];
  __m512 acc[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) acc[r] = _mm512_setzero_ps();
  auto tile_of = [group](int64_t b) { return group + b * tile_bytes; };
  auto make_signed = [&](int64_t b, uint8_t* out) { signed_tile<T>(tile_of(b) + kInterleavedScaleBytes, out); };
  const int64_t steps = nb / 2;
  for (int64_t s = 0; s < kSignedAhead && s < steps; ++s) {
    make_signed(2 * s, weights[s][0]);
    make_signed(2 * s + 1, weights[s][1]);
  }
  for (int64_t s = 0; s < steps; ++s) {
    const int64_t b = 2 * s;
    prefetch_ahead<T>(group, b, 2);
    uint8_t(&w)[2][kWeightBytes] = weights[s % kSignedRing];
    MASKKV_TILE_LOAD(0, xq + b * kActivationBytes, kQuantBlock);
    MASKKV_TILE_LOAD(1, xq + (b + 1) * kActivationBytes, kQuantBlock);
    MASKKV_TILE_LOAD(2, w[0], 64);
    MASKKV_TILE_LOAD(3, w[1], 64);
    _tile_zero(4);
    _tile_zero(5);
    _tile_dpbssd(4, 0, 2);
    _tile_dpbssd(5, 1, 3);
    MASKKV_TILE_STORE(4, dot[s & 1][0], 64);
    MASKKV_TILE_STORE(5, dot[s & 1][1], 64);
    if (s + kSignedAhead < steps) {
      uint8_t(&next)[2][kWeightBytes] = weights[(s + kSignedAhead) % kSignedRing];
      make_signed(b + 2 * kSignedAhead, next[0]);
      make_signed(b + 2 * kSignedAhead + 1, next[1]);
    }
    if (s > 0) {
      scale_block<R>(dot[(s - 1) & 1][0], weight_scales<T>(tile_of(b - 2)), xd + (b - 2) * kTileRows, acc);
      scale_block<R>(dot[(s - 1) & 1][1], weight_scales<T>(tile_of(b - 1)), xd + (b - 1) * kTileRows, acc);
    }
  }
  if (steps > 0) {
    const int64_t b = 2 * steps - 2;
    scale_block<R>(dot[(steps - 1) & 1][0], weight_scales<T>(tile_of(b)), xd + b * kTileRows, acc);
    scale_block<R>(dot[(steps - 1) & 1][1], weight_scales<T>(tile_of(b + 1)), xd + (b + 1) * kTileRows, acc);
  }
  if (nb % 2) {  // the last block alone
    const int64_t b = nb - 1;
    make_signed(b, weights[0][0]);
    MASKKV_TILE_LOAD(0, xq + b * kActivationBytes, kQuantBlock);
    MASKKV_TILE_LOAD(2, weights[0][0], 64);
    _tile_zero(4);
    _tile_dpbssd(4, 0, 2);
    MASKKV_TILE_STORE(4, dot[0][0], 64);
    scale_block<R>(dot[0][0], weight_scales<T>(tile_of(b)), xd + b * kTileRows, acc);
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) _mm512_storeu_ps(y + r * ldy, acc[r]);
}

// 17 to 32 activation rows (16 in the first half, `bottom` in the second) times the sixteen
// columns of one group, one block per step: each weight tile is made signed and loaded once for
// both halves' products. A Q8_0 group (70 KB at k = 4096) is then read once, where two 16-row
// passes read it twice (the second time from L2). The first half's accumulators are registers,
// the second half's a small array in L1 (32 of them do not fit the 32 vector registers beside
// the operands).
template <DType T>
void joint_rows(int bottom, const int8_t* xq, const float* xd, int64_t nb, const uint8_t* group, float* y,
                int64_t ldy) {
  constexpr int64_t tile_bytes = kInterleavedTileBytes<T>;
  const int8_t* xq_bottom = xq + nb * kActivationBytes;
  const float* xd_bottom = xd + nb * kTileRows;
  alignas(64) int32_t dot[2][2][kTileRows * 16];
  alignas(64) uint8_t weights[kSignedRing][kWeightBytes];
  alignas(64) float acc_bottom[kTileRows][16] = {};
  __m512 acc[kTileRows];
#pragma GCC unroll 16
  for (int r = 0; r < kTileRows; ++r) acc[r] = _mm512_setzero_ps();
  auto tile_of = [group](int64_t b) { return group + b * tile_bytes; };
  for (int64_t b = 0; b < kSignedAhead && b < nb; ++b)
    signed_tile<T>(tile_of(b) + kInterleavedScaleBytes, weights[b % kSignedRing]);
  for (int64_t b = 0; b <= nb; ++b) {
    if (b < nb) {
      prefetch_ahead<T>(group, b, 1);
      MASKKV_TILE_LOAD(0, xq + b * kActivationBytes, kQuantBlock);
      MASKKV_TILE_LOAD(1, xq_bottom + b * kActivationBytes, kQuantBlock);
      MASKKV_TILE_LOAD(2, weights[b % kSignedRing], 64);
      _tile_zero(4);
      _tile_zero(5);
      _tile_dpbssd(4, 0, 2);
      _tile_dpbssd(5, 1, 2);
      MASKKV_TILE_STORE(4, dot[b & 1][0], 64);
      MASKKV_TILE_STORE(5, dot[b & 1][1], 64);
      if (b + kSignedAhead < nb)
        signed_tile<T>(tile_of(b + kSignedAhead) + kInterleavedScaleBytes, weights[(b + kSignedAhead) % kSignedRing]);
    }
    if (b > 0) {  // the previous block's products, while this block's are computed
      const int64_t c = b - 1;
      const __m512 dw = weight_scales<T>(tile_of(c));
      scale_block<kTileRows>(dot[c & 1][0], dw, xd + c * kTileRows, acc);
      const float* dx = xd_bottom + c * kTileRows;
      for (int r = 0; r < bottom; ++r)
        _mm512_store_ps(acc_bottom[r], scaled_row(dot[c & 1][1] + 16 * r, dx[r], dw, _mm512_load_ps(acc_bottom[r])));
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < kTileRows; ++r) _mm512_storeu_ps(y + r * ldy, acc[r]);
  for (int r = 0; r < bottom; ++r) _mm512_storeu_ps(y + (kTileRows + r) * ldy, _mm512_load_ps(acc_bottom[r]));
}

template <DType T>
void rows_tail(int rows, const int8_t* xq, const float* xd, int64_t nb, const uint8_t* group, float* y, int64_t ldy) {
  switch (rows) {
    case 1: return group_rows<T, 1>(xq, xd, nb, group, y, ldy);
    case 2: return group_rows<T, 2>(xq, xd, nb, group, y, ldy);
    case 3: return group_rows<T, 3>(xq, xd, nb, group, y, ldy);
    case 4: return group_rows<T, 4>(xq, xd, nb, group, y, ldy);
    case 5: return group_rows<T, 5>(xq, xd, nb, group, y, ldy);
    case 6: return group_rows<T, 6>(xq, xd, nb, group, y, ldy);
    case 7: return group_rows<T, 7>(xq, xd, nb, group, y, ldy);
    case 8: return group_rows<T, 8>(xq, xd, nb, group, y, ldy);
    case 9: return group_rows<T, 9>(xq, xd, nb, group, y, ldy);
    case 10: return group_rows<T, 10>(xq, xd, nb, group, y, ldy);
    case 11: return group_rows<T, 11>(xq, xd, nb, group, y, ldy);
    case 12: return group_rows<T, 12>(xq, xd, nb, group, y, ldy);
    case 13: return group_rows<T, 13>(xq, xd, nb, group, y, ldy);
    case 14: return group_rows<T, 14>(xq, xd, nb, group, y, ldy);
    case 15: return group_rows<T, 15>(xq, xd, nb, group, y, ldy);
    default: return group_rows<T, 16>(xq, xd, nb, group, y, ldy);
  }
}

template <DType T>
void gemm(const QuantRows& x, const QuantWeights& w, int64_t g0, int64_t g1, float* y, int64_t ldy) {
  static const TileConfigs kConfigs;
  const int64_t nb = w.k / kQuantBlock;
  const int64_t group_bytes = kInterleavedTileBytes<T> * nb;
  const PassTiles& tiles = pass_tiles(x);
  if (x.m > kTileRows && x.m <= 2 * kTileRows) {
    const int bottom = static_cast<int>(x.m - kTileRows);
    _tile_loadconfig(&kConfigs.joint[bottom]);
    for (int64_t g = g0; g < g1; ++g)
      joint_rows<T>(bottom, tiles.q.data(), tiles.d.data(), nb, w.data + g * group_bytes, y + g * kInterleaveRows,
                    ldy);
    _tile_release();
    return;
  }
  // Groups outermost, so that a group's weights are read from memory once and from cache for
  // the further passes; the configuration changes only when a pass has fewer rows.
  int configured = 0;
  for (int64_t g = g0; g < g1; ++g)
    for (int64_t r = 0; r < x.m; r += kTileRows) {
      const int rows = static_cast<int>(x.m - r < kTileRows ? x.m - r : kTileRows);
      if (rows != configured) {
        _tile_loadconfig(&kConfigs.by_rows[rows]);
        configured = rows;
      }
      const int64_t pass = r / kTileRows;
      rows_tail<T>(rows, tiles.q.data() + pass * nb * kActivationBytes, tiles.d.data() + pass * nb * kTileRows, nb,
                   w.data + g * group_bytes, y + r * ldy + g * kInterleaveRows, ldy);
    }
  _tile_release();
}

}  // namespace

void quant_gemm_x16_amx(const QuantRows& x, const QuantWeights& w, int64_t g0, int64_t g1, float* y,
                        int64_t ldy) {
  if (w.dtype == DType::q8_0_x16)
    gemm<DType::q8_0_x16>(x, w, g0, g1, y, ldy);
  else
    gemm<DType::q4_0_x16>(x, w, g0, g1, y, ldy);
}

}  // namespace maskkv::cpu

#if defined(__clang__)
#pragma clang attribute pop
#endif
