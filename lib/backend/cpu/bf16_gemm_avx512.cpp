// The kernels declared in bf16_gemm_kernels.h. This is the only file compiled with -mavx512f
// -mavx512bw -mavx512vl -mavx512bf16 (lib/CMakeLists.txt). It uses no standard-library templates
// or inline functions shared with other files: the linker keeps one copy of such a function, and
// the copy compiled here would contain instructions that CPUs without AVX-512 lack.
#include "backend/cpu/bf16_gemm_kernels.h"

// GCC 12's AVX-512 headers start some intrinsics from a deliberately undefined register, which
// -Wmaybe-uninitialized reports once they are inlined here.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

namespace maskkv::cpu::avx512bf16 {

namespace {

inline __mmask16 first_lanes(int64_t n) {
  return n >= 16 ? __mmask16(0xFFFF) : n <= 0 ? __mmask16(0) : __mmask16((1u << n) - 1);
}

inline uint32_t load_pair(const uint16_t* p) {
  uint32_t v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

// x rounded to bf16 (nearest even, as vcvtne2ps2bf16) and widened back to f32, for finite x.
inline __m512 bf16_value(__m512 x) {
  typedef uint32_t u32x16 __attribute__((vector_size(64)));
  u32x16 b = (u32x16)x;
  b = (b + 0x7fffu + ((b >> 16) & 1u)) & 0xffff0000u;
  return (__m512)b;
}

// Row r of a register tile is lane r * ldy of a scatter.
inline __m512i lane_offsets(int64_t ld) {
  return _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                            _mm512_set1_epi32(static_cast<int>(ld)));
}

// Adds the bias, scales and stores the MR x (16 NV) accumulators of a tile: rows below `rows`,
// columns below `cols`.
template <int MR, int NV, bool TRANSPOSED>
inline void store_tile(__m512 (&acc)[MR][NV], int rows, int64_t cols, const float* row_bias,
                       float scale, float* y, int64_t ldy) {
  const __m512 vscale = _mm512_set1_ps(scale);
  const __m512i offsets = lane_offsets(ldy);
  for (int r = 0; r < MR && r < rows; ++r) {
    const __m512 bias = _mm512_set1_ps(row_bias ? row_bias[r] : 0.0f);
    for (int v = 0; v < NV; ++v) {
      const __mmask16 m = first_lanes(cols - 16 * v);
      const __m512 out = _mm512_fmadd_ps(acc[r][v], vscale, bias);
      if (TRANSPOSED)
        _mm512_mask_i32scatter_ps(y + 16 * v * ldy + r, m, offsets, out, 4);
      else
        _mm512_mask_storeu_ps(y + r * ldy + 16 * v, m, out);
    }
  }
}

// One register tile of gemm_bf16: kTileRows rows of A (rows >= `rows` repeat the last valid
// row and are not stored) times 16 * NV packed columns.
template <int NV, bool TRANSPOSED>
void tile_bf16(const uint16_t* a, int64_t lda, int rows, int64_t k, const uint32_t* b, int64_t ldp,
               int64_t cols, const float* row_bias, float scale, float* y, int64_t ldy) {
  constexpr int MR = kTileRows;
  const uint16_t* ar[MR];
  for (int r = 0; r < MR; ++r) ar[r] = a + (r < rows ? r : rows - 1) * lda;
  __m512 acc[MR][NV];
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
  const int64_t pairs = k / 2;
  for (int64_t p = 0; p <= pairs; ++p) {
    const bool odd_end = p == pairs;
    if (odd_end && !(k & 1)) break;
    __m512i bv[NV];
    for (int v = 0; v < NV; ++v) bv[v] = _mm512_loadu_si512(b + p * ldp + 16 * v);
    for (int r = 0; r < MR; ++r) {
      // After an odd k the last pair's second half is zero in A as in B.
      const uint32_t pair = odd_end ? uint32_t{ar[r][2 * p]} : load_pair(ar[r] + 2 * p);
      const __m512i w = _mm512_set1_epi32(static_cast<int>(pair));
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_dpbf16_ps(acc[r][v], (__m512bh)bv[v], (__m512bh)w);
    }
  }
  store_tile<MR, NV, TRANSPOSED>(acc, rows, cols, row_bias, scale, y, ldy);
}

// One register tile of gemm_f32; a holds kTileRows rows of k floats.
template <int NV, bool TRANSPOSED>
void tile_f32(const float* a, int rows, int64_t k, const float* b, int64_t ldp, int64_t cols,
              const float* row_bias, float* y, int64_t ldy) {
  constexpr int MR = kTileRows;
  __m512 acc[MR][NV];
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
  for (int64_t i = 0; i < k; ++i) {
    __m512 bv[NV];
    for (int v = 0; v < NV; ++v) bv[v] = _mm512_loadu_ps(b + i * ldp + 16 * v);
    for (int r = 0; r < MR; ++r) {
      const __m512 w = _mm512_set1_ps(a[r * k + i]);
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(bv[v], w, acc[r][v]);
    }
  }
  store_tile<MR, NV, TRANSPOSED>(acc, rows, cols, row_bias, 1.0f, y, ldy);
}

template <int N>
struct Vectors {
  static constexpr int value = N;
};

// Runs tile(nv, column offset, columns) over the column tiles of a row tile, with the number of
// 16-column vectors as a compile-time constant.
template <class Tile>
inline void column_tiles(int64_t cols_b, Tile&& tile) {
  for (int64_t t = 0; t < cols_b; t += kTileCols) {
    const int64_t cols = cols_b - t < kTileCols ? cols_b - t : kTileCols;
    switch ((cols + 15) / 16) {
      case 1: tile(Vectors<1>(), t, cols); break;
      case 2: tile(Vectors<2>(), t, cols); break;
      case 3: tile(Vectors<3>(), t, cols); break;
      default: tile(Vectors<4>(), t, cols); break;
    }
  }
}

template <bool TRANSPOSED>
void gemm_bf16_impl(const uint16_t* a, int64_t lda, int64_t rows_a, int64_t k, const uint32_t* b,
                    int64_t ldp, int64_t cols_b, const float* row_bias, float scale, float* y,
                    int64_t ldy) {
  for (int64_t j = 0; j < rows_a; j += kTileRows) {
    const int rows = static_cast<int>(rows_a - j < kTileRows ? rows_a - j : kTileRows);
    const float* bias = row_bias ? row_bias + j : nullptr;
    float* yj = TRANSPOSED ? y + j : y + j * ldy;
    column_tiles(cols_b, [&](auto nv, int64_t t, int64_t cols) {
      tile_bf16<decltype(nv)::value, TRANSPOSED>(a + j * lda, lda, rows, k, b + t, ldp, cols, bias,
                                                 scale, TRANSPOSED ? yj + t * ldy : yj + t, ldy);
    });
  }
}

template <bool TRANSPOSED>
void gemm_f32_impl(const uint16_t* a, int64_t lda, int64_t rows_a, int64_t k, const float* b,
                   int64_t ldp, int64_t cols_b, const float* row_bias, float* a_scratch,
                   float* y, int64_t ldy) {
  for (int64_t j = 0; j < rows_a; j += kTileRows) {
    const int rows = static_cast<int>(rows_a - j < kTileRows ? rows_a - j : kTileRows);
    // Widen the tile's rows once (rows past the end repeat the last one); every column tile
    // reads them from L1/L2.
    for (int r = 0; r < kTileRows; ++r) {
      const uint16_t* src = a + (j + (r < rows ? r : rows - 1)) * lda;
      float* dst = a_scratch + r * k;
      for (int64_t i = 0; i < k; i += 16) {
        const __mmask16 m = first_lanes(k - i);
        const __m256i h = _mm256_maskz_loadu_epi16(m, src + i);
        _mm512_mask_storeu_ps(dst + i, m, _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16)));
      }
    }
    const float* bias = row_bias ? row_bias + j : nullptr;
    float* yj = TRANSPOSED ? y + j : y + j * ldy;
    column_tiles(cols_b, [&](auto nv, int64_t t, int64_t cols) {
      tile_f32<decltype(nv)::value, TRANSPOSED>(a_scratch, rows, k, b + t, ldp, cols, bias,
                                                TRANSPOSED ? yj + t * ldy : yj + t, ldy);
    });
  }
}

}  // namespace

void pack_columns_bf16(const float* x, int64_t ldx, int64_t rows, int64_t k, int64_t ldp,
                       uint32_t* out, int parts, int64_t part_stride) {
  const int64_t pairs = (k + 1) / 2;
  for (int part = 0; part < parts; ++part)
    for (int64_t p = 0; p < pairs; ++p)
      for (int64_t t = rows; t < ldp; ++t) out[part * part_stride + p * ldp + t] = 0;
  // Lane i of a converted 32-value chunk holds pair i: it goes to row i of the packed operand.
  const __m512i offsets = lane_offsets(ldp);
  for (int64_t t = 0; t < rows; ++t) {
    const float* xr = x + t * ldx;
    for (int64_t c = 0; c < k; c += 32) {
      const int64_t n = k - c < 32 ? k - c : 32;
      __m512 x0 = _mm512_maskz_loadu_ps(first_lanes(n), xr + c);
      __m512 x1 = _mm512_maskz_loadu_ps(first_lanes(n - 16), xr + c + 16);
      for (int part = 0; part < parts; ++part) {
        const __m512i h = (__m512i)_mm512_cvtne2ps_pbh(x1, x0);
        _mm512_mask_i32scatter_epi32(out + part * part_stride + (c / 2) * ldp + t,
                                     first_lanes((n + 1) / 2), offsets, h, 4);
        // What this part missed (exact in f32) is the next part's input.
        x0 = _mm512_sub_ps(x0, bf16_value(x0));
        x1 = _mm512_sub_ps(x1, bf16_value(x1));
      }
    }
  }
}

void pack_columns_f32(const float* x, int64_t ldx, int64_t rows, int64_t k, int64_t ldp,
                      float* out) {
  for (int64_t i = 0; i < k; ++i)
    for (int64_t t = rows; t < ldp; ++t) out[i * ldp + t] = 0.0f;
  const __m512i offsets = lane_offsets(ldp);
  for (int64_t t = 0; t < rows; ++t) {
    const float* xr = x + t * ldx;
    for (int64_t c = 0; c < k; c += 16) {
      const __mmask16 m = first_lanes(k - c);
      _mm512_mask_i32scatter_ps(out + c * ldp + t, m, offsets, _mm512_maskz_loadu_ps(m, xr + c), 4);
    }
  }
}

void pack_row_pairs_bf16(const float* v, int64_t ldv, int64_t rows, int64_t cols, int64_t ldp,
                         uint32_t* out) {
  // Interleaves the 16 bf16 values of row 2p (low 256 bits) with those of row 2p+1 (high).
  static const uint16_t order[32] = {0, 16, 1, 17, 2,  18, 3,  19, 4,  20, 5,  21, 6,  22, 7,  23,
                                     8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};
  const __m512i interleave = _mm512_loadu_si512(order);
  for (int64_t p = 0; p < (rows + 1) / 2; ++p) {
    const float* r0 = v + 2 * p * ldv;
    const bool second = 2 * p + 1 < rows;
    uint32_t* o = out + p * ldp;
    for (int64_t c = 0; c < ldp; c += 16) {
      const __mmask16 m = first_lanes(cols - c);
      const __m512 a = _mm512_maskz_loadu_ps(m, r0 + c);
      const __m512 b = second ? _mm512_maskz_loadu_ps(m, r0 + ldv + c) : _mm512_setzero_ps();
      const __m512i h = (__m512i)_mm512_cvtne2ps_pbh(b, a);
      _mm512_storeu_si512(o + c, _mm512_permutexvar_epi16(interleave, h));
    }
  }
}

void round_to_bf16(const float* x, int64_t n, uint16_t* out) {
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = first_lanes(n - i);
    const __m256i h = (__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, x + i));
    _mm256_mask_storeu_epi16(out + i, m, h);
  }
}

void gemm_bf16(const uint16_t* a, int64_t lda, int64_t rows_a, int64_t k, const uint32_t* b,
               int64_t ldp, int64_t cols_b, const float* row_bias, float scale, bool transposed,
               float* y, int64_t ldy) {
  if (rows_a <= 0 || cols_b <= 0) return;
  if (transposed) gemm_bf16_impl<true>(a, lda, rows_a, k, b, ldp, cols_b, row_bias, scale, y, ldy);
  else gemm_bf16_impl<false>(a, lda, rows_a, k, b, ldp, cols_b, row_bias, scale, y, ldy);
}

void gemm_f32(const uint16_t* a, int64_t lda, int64_t rows_a, int64_t k, const float* b,
              int64_t ldp, int64_t cols_b, const float* row_bias, float* a_scratch,
              bool transposed, float* y, int64_t ldy) {
  if (rows_a <= 0 || cols_b <= 0) return;
  if (transposed) gemm_f32_impl<true>(a, lda, rows_a, k, b, ldp, cols_b, row_bias, a_scratch, y, ldy);
  else gemm_f32_impl<false>(a, lda, rows_a, k, b, ldp, cols_b, row_bias, a_scratch, y, ldy);
}

}  // namespace maskkv::cpu::avx512bf16
