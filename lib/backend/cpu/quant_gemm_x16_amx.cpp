// The interleaved quantized GEMM (cpu/quant_gemm.h) on AMX tiles (TDPBSUD: signed activation
// bytes times unsigned weight bytes). A tile of a weight group (core/quant_interleave.h) is, past
// its sixteen scales, exactly the B operand of a tile product with K = 32: eight rows of four
// values for each of sixteen columns. Up to sixteen activation rows of one block are the A
// operand, read in place (row stride k); one instruction gives the sixteen rows' integer dots
// with the sixteen columns, which the vector unit then scales into f32 sums block by block (the
// scales change every 32 values, so the integer sums cannot run longer). Two blocks are in flight
// at a time. Called only when the CPU has AMX-INT8 (cpu::has_amx_int8, which also obtains the
// OS permission).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

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

// Tiles 0-1: activations of two blocks (R rows x 32 bytes); 2-3: the weights of those blocks
// (8 rows x 64 bytes); 4-5: their integer products (R rows x 16 int32). R, the activation rows
// of one pass (at most 16), is set per pass: tiles of fewer rows load and store less.
struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t bytes_per_row[16] = {32, 32, 64, 64, 64, 64};
  uint8_t rows[16] = {};
};

// One configuration per pass height, in static memory: the configuration is read by an
// instruction the compiler sees as touching only its first bytes, so it must not be a local
// whose stores could be dropped.
struct TileConfigs {
  TileConfigs() {
    for (int r = 1; r <= 16; ++r) {
      TileConfig& c = by_rows[r];
      c.rows[0] = c.rows[1] = c.rows[4] = c.rows[5] = static_cast<uint8_t>(r);
      c.rows[2] = c.rows[3] = 8;
    }
  }
  TileConfig by_rows[17];
};

constexpr int kTileRows = 16;
constexpr int kWeightBytes = 512;  // a tile's values as the B operand
// Weight tiles are prefetched this far ahead of the one being multiplied: they stream from
// memory once per call, and the hardware prefetcher alone leaves the loads waiting.
constexpr int64_t kPrefetchTiles = 16;


// A Q4_0 tile's nibbles as the eight 64-byte rows of the B operand (Q8_0 tiles are one already).
inline void unpack_q4(const uint8_t* q, uint8_t* out) {
  const __m512i nib = _mm512_set1_epi8(0x0F);
  for (int c = 0; c < 4; ++c) {
    const __m512i v = _mm512_loadu_si512(q + 64 * c);
    _mm512_storeu_si512(out + 64 * c, _mm512_and_si512(v, nib));
    _mm512_storeu_si512(out + 64 * (c + 4), _mm512_and_si512(_mm512_srli_epi16(v, 4), nib));
  }
}

// acc[r] += (dot[r] - offset * sum) * d_w * d_x over the R rows of one block's products.
template <DType T, int R>
inline void scale_block(const int32_t* dot, const uint8_t* tile, const float* xd, const int32_t* xs, int64_t nb,
                        __m512 (&acc)[R]) {
  const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(tile)));
  for (int r = 0; r < R; ++r) {
    const __m512i d = _mm512_add_epi32(_mm512_loadu_si512(dot + 16 * r), _mm512_set1_epi32(-kInterleavedOffset<T> * xs[r * nb]));
    acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d), _mm512_mul_ps(dw, _mm512_set1_ps(xd[r * nb])), acc[r]);
  }
}

// R (<= 16) activation rows from r0 times the sixteen columns of one group, over all k, two
// blocks per step. The steps are pipelined: a step's tile products are issued before the vector
// unit scales the previous step's (stored to the other half of `dot`), and Q4_0 weights are
// unpacked one step ahead, so that no load waits on a store just made.
template <DType T, int R>
void group_rows(const QuantRows& x, int64_t r0, const uint8_t* group, float* y, int64_t ldy) {
  const int64_t nb = x.k / kQuantBlock;
  const int8_t* xq = x.q + r0 * x.k;
  const float* xd = x.d + r0 * nb;
  const int32_t* xs = x.sum + r0 * nb;
  alignas(64) int32_t dot[2][2][kTileRows * 16];
  alignas(64) uint8_t unpacked[2][2][kWeightBytes];
  __m512 acc[R];
  for (int r = 0; r < R; ++r) acc[r] = _mm512_setzero_ps();
  const int64_t steps = nb / 2;
  auto tile_of = [group](int64_t b) { return group + b * kInterleavedTileBytes<T>; };
  auto unpack_step = [&](int64_t p) {
    if constexpr (T == DType::q4_0_x16) {
      unpack_q4(tile_of(2 * p) + kInterleavedScaleBytes, unpacked[p & 1][0]);
      unpack_q4(tile_of(2 * p + 1) + kInterleavedScaleBytes, unpacked[p & 1][1]);
    }
  };
  if (steps > 0) unpack_step(0);
  for (int64_t p = 0; p < steps; ++p) {
    const int64_t b = 2 * p;
    for (int64_t off = 0; off < 2 * kInterleavedTileBytes<T>; off += 64)
      _mm_prefetch(reinterpret_cast<const char*>(tile_of(b + kPrefetchTiles) + off), _MM_HINT_T0);
    MASKKV_TILE_LOAD(0, xq + b * kQuantBlock, x.k);
    MASKKV_TILE_LOAD(1, xq + (b + 1) * kQuantBlock, x.k);
    if constexpr (T == DType::q8_0_x16) {
      MASKKV_TILE_LOAD(2, tile_of(b) + kInterleavedScaleBytes, 64);
      MASKKV_TILE_LOAD(3, tile_of(b + 1) + kInterleavedScaleBytes, 64);
    } else {
      MASKKV_TILE_LOAD(2, unpacked[p & 1][0], 64);
      MASKKV_TILE_LOAD(3, unpacked[p & 1][1], 64);
    }
    _tile_zero(4);
    _tile_zero(5);
    _tile_dpbsud(4, 0, 2);
    _tile_dpbsud(5, 1, 3);
    MASKKV_TILE_STORE(4, dot[p & 1][0], 64);
    MASKKV_TILE_STORE(5, dot[p & 1][1], 64);
    if (p + 1 < steps) unpack_step(p + 1);
    if (p > 0) {
      scale_block<T, R>(dot[(p - 1) & 1][0], tile_of(b - 2), xd + b - 2, xs + b - 2, nb, acc);
      scale_block<T, R>(dot[(p - 1) & 1][1], tile_of(b - 1), xd + b - 1, xs + b - 1, nb, acc);
    }
  }
  if (steps > 0) {
    const int64_t b = 2 * steps - 2;
    scale_block<T, R>(dot[(steps - 1) & 1][0], tile_of(b), xd + b, xs + b, nb, acc);
    scale_block<T, R>(dot[(steps - 1) & 1][1], tile_of(b + 1), xd + b + 1, xs + b + 1, nb, acc);
  }
  if (nb % 2) {  // the last block alone
    const int64_t b = nb - 1;
    MASKKV_TILE_LOAD(0, xq + b * kQuantBlock, x.k);
    if constexpr (T == DType::q8_0_x16) {
      MASKKV_TILE_LOAD(2, tile_of(b) + kInterleavedScaleBytes, 64);
    } else {
      unpack_q4(tile_of(b) + kInterleavedScaleBytes, unpacked[0][0]);
      MASKKV_TILE_LOAD(2, unpacked[0][0], 64);
    }
    _tile_zero(4);
    _tile_dpbsud(4, 0, 2);
    MASKKV_TILE_STORE(4, dot[0][0], 64);
    scale_block<T, R>(dot[0][0], tile_of(b), xd + b, xs + b, nb, acc);
  }
  for (int r = 0; r < R; ++r) _mm512_storeu_ps(y + (r0 + r) * ldy, acc[r]);
}

template <DType T>
void rows_tail(int rows, const QuantRows& x, int64_t r0, const uint8_t* group, float* y, int64_t ldy) {
  switch (rows) {
    case 1: return group_rows<T, 1>(x, r0, group, y, ldy);
    case 2: return group_rows<T, 2>(x, r0, group, y, ldy);
    case 3: return group_rows<T, 3>(x, r0, group, y, ldy);
    case 4: return group_rows<T, 4>(x, r0, group, y, ldy);
    case 5: return group_rows<T, 5>(x, r0, group, y, ldy);
    case 6: return group_rows<T, 6>(x, r0, group, y, ldy);
    case 7: return group_rows<T, 7>(x, r0, group, y, ldy);
    case 8: return group_rows<T, 8>(x, r0, group, y, ldy);
    case 9: return group_rows<T, 9>(x, r0, group, y, ldy);
    case 10: return group_rows<T, 10>(x, r0, group, y, ldy);
    case 11: return group_rows<T, 11>(x, r0, group, y, ldy);
    case 12: return group_rows<T, 12>(x, r0, group, y, ldy);
    case 13: return group_rows<T, 13>(x, r0, group, y, ldy);
    case 14: return group_rows<T, 14>(x, r0, group, y, ldy);
    case 15: return group_rows<T, 15>(x, r0, group, y, ldy);
    default: return group_rows<T, 16>(x, r0, group, y, ldy);
  }
}

template <DType T>
void gemm(const QuantRows& x, const QuantWeights& w, int64_t g0, int64_t g1, float* y, int64_t ldy) {
  static const TileConfigs kConfigs;
  const int64_t group_bytes = kInterleavedTileBytes<T> * (w.k / kQuantBlock);
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
      rows_tail<T>(rows, x, r, w.data + g * group_bytes, y + g * kInterleaveRows, ldy);
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
