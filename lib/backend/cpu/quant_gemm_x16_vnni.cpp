// The interleaved quantized GEMM (cpu/quant_gemm.h) with AVX512-VNNI. A tile of a weight group
// (core/quant_interleave.h) is sixteen f16 scales and eight 64-byte vectors, vector c holding
// values 4c..4c+3 of the sixteen rows; four activation bytes broadcast to every lane and one
// vpdpbusd add four products to each of the sixteen columns. Per block and activation row that
// is eight vpdpbusd, one conversion, one multiply of the two scales and one FMA for 512
// products, against four instructions per 32 products in the plain-layout kernel. The
// accumulator starts at -offset * (block sum of the activations), which removes the offset
// the unsigned weight bytes carry. Called only when the CPU has AVX512-VNNI.
// GCC 12's AVX-512 headers start some conversions from a deliberately undefined register, which
// -Wmaybe-uninitialized reports once they are inlined here.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cstring>

#include "backend/cpu/quant_gemm.h"
#include "core/quant_blocks.h"
#include "core/quant_interleave.h"

// As in quant_gemm_vnni.cpp: AVX-512 is enabled for this file's own functions only, after the
// includes, so that no inline function shared with baseline code is compiled for it here.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,f16c"))), \
                             apply_to = function)
#else
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512vnni,f16c")
#endif

namespace maskkv::cpu {

namespace {

constexpr int kChunks = kQuantBlock / 4;  // 4-value chunks per block

// The eight weight vectors of a tile as unsigned bytes.
template <DType T>
inline void load_tile(const uint8_t* q, __m512i (&w)[kChunks]) {
  if constexpr (T == DType::q8_0_x16) {
    for (int c = 0; c < kChunks; ++c) w[c] = _mm512_loadu_si512(q + 64 * c);
  } else {
    const __m512i nib = _mm512_set1_epi8(0x0F);
    for (int c = 0; c < kChunks / 2; ++c) {
      const __m512i v = _mm512_loadu_si512(q + 64 * c);
      w[c] = _mm512_and_si512(v, nib);
      w[c + kChunks / 2] = _mm512_and_si512(_mm512_srli_epi16(v, 4), nib);
    }
  }
}

// Weight tiles are prefetched this far ahead of the one being multiplied: they stream from
// memory once per call, and the hardware prefetcher alone leaves the loads waiting.
constexpr int64_t kPrefetchTiles = 16;

// R activation rows from r0 times the sixteen columns of one group, over all k.
template <DType T, int R>
void tile_rows(const QuantRows& x, int64_t r0, const uint8_t* group, float* y, int64_t ldy) {
  constexpr int64_t kTileBytes = kInterleavedTileBytes<T>;
  const int64_t nb = x.k / kQuantBlock;
  const int8_t* xq = x.q + r0 * x.k;
  const float* xd = x.d + r0 * nb;
  const int32_t* xs = x.sum + r0 * nb;
  // Every loop over the accumulators is fully unrolled, so that they stay in registers (a loop
  // left rolled and GCC keeps the array in memory, storing each accumulator once per block).
  __m512 acc[R];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) acc[r] = _mm512_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* tile = group + b * kTileBytes;
    for (int64_t off = 0; off < kTileBytes; off += 64)
      _mm_prefetch(reinterpret_cast<const char*>(tile + kPrefetchTiles * kTileBytes + off), _MM_HINT_T0);
    const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(tile)));
    __m512i w[kChunks];
    load_tile<T>(tile + kInterleavedScaleBytes, w);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const int8_t* xb = xq + r * x.k + b * kQuantBlock;
      __m512i dot = _mm512_set1_epi32(-kInterleavedOffset<T> * xs[r * nb + b]);
      for (int c = 0; c < kChunks; ++c) {
        int32_t four;
        std::memcpy(&four, xb + 4 * c, 4);
        dot = _mm512_dpbusd_epi32(dot, w[c], _mm512_set1_epi32(four));
      }
      const __m512 scale = _mm512_mul_ps(dw, _mm512_set1_ps(xd[r * nb + b]));
      acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), scale, acc[r]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) _mm512_storeu_ps(y + (r0 + r) * ldy, acc[r]);
}

// Rows per pass over a group's tiles: eight independent accumulation chains hide vpdpbusd's
// latency, and the group (at most a few hundred KiB) is read again from cache for the next eight.
constexpr int kRows = 8;

template <DType T>
void gemm(const QuantRows& x, const QuantWeights& w, int64_t g0, int64_t g1, float* y, int64_t ldy) {
  const int64_t group_bytes = kInterleavedTileBytes<T> * (w.k / kQuantBlock);
  for (int64_t g = g0; g < g1; ++g) {
    const uint8_t* group = w.data + g * group_bytes;
    float* yg = y + g * kInterleaveRows;
    int64_t r = 0;
    for (; r + kRows <= x.m; r += kRows) tile_rows<T, kRows>(x, r, group, yg, ldy);
    switch (x.m - r) {
      case 7: tile_rows<T, 7>(x, r, group, yg, ldy); break;
      case 6: tile_rows<T, 6>(x, r, group, yg, ldy); break;
      case 5: tile_rows<T, 5>(x, r, group, yg, ldy); break;
      case 4: tile_rows<T, 4>(x, r, group, yg, ldy); break;
      case 3: tile_rows<T, 3>(x, r, group, yg, ldy); break;
      case 2: tile_rows<T, 2>(x, r, group, yg, ldy); break;
      case 1: tile_rows<T, 1>(x, r, group, yg, ldy); break;
      default: break;
    }
  }
}

}  // namespace

void quant_gemm_x16_vnni(const QuantRows& x, const QuantWeights& w, int64_t g0, int64_t g1, float* y,
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
