// The AMX kernel declared in bf16_gemm_amx.h. This is the only file compiled with -mamx-tile
// -mamx-bf16 (plus AVX-512 for the output transposition; lib/CMakeLists.txt). Like
// bf16_gemm_avx512.cpp it uses no standard-library templates or shared inline functions.
#include "backend/cpu/bf16_gemm_amx.h"
#include "backend/cpu/amx_tiles.h"

// GCC 12's AVX-512 headers start some intrinsics from a deliberately undefined register, which
// -W(maybe-)uninitialized reports once they are inlined here.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

namespace maskkv::cpu::amx {

namespace {

// Palette 1, tiles 0-7 all 16 rows of 64 bytes: 0-3 accumulators (16 weight rows x 16 columns of
// f32), 4-5 weight rows (16 x 32 bf16), 6-7 packed columns (16 pairs x 16 columns).
struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t bytes_per_row[16] = {64, 64, 64, 64, 64, 64, 64, 64};
  uint8_t rows[16] = {16, 16, 16, 16, 16, 16, 16, 16};
};

// Transposes the 16 x 16 block c (row r = weight row, column = output column) and stores column
// t < cols as 16 consecutive outputs y[t * ldy + 0..15], adding the bias.
inline void store_transposed(const float* c, int64_t cols, const float* row_bias, float* y,
                             int64_t ldy) {
  __m512 r[16], s[16];
  for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(c + 16 * i);
  for (int i = 0; i < 16; i += 2) {
    s[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    s[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4)
    for (int h = 0; h < 2; ++h) {
      const __m512d a = _mm512_castps_pd(s[i + h]), b = _mm512_castps_pd(s[i + h + 2]);
      r[i + h] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, b));
      r[i + h + 2] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, b));
    }
  for (int i = 0; i < 16; i += 8)
    for (int h = 0; h < 4; ++h) {
      s[i + h] = _mm512_shuffle_f32x4(r[i + h], r[i + h + 4], 0x88);
      s[i + h + 4] = _mm512_shuffle_f32x4(r[i + h], r[i + h + 4], 0xdd);
    }
  for (int h = 0; h < 8; ++h) {
    r[h] = _mm512_shuffle_f32x4(s[h], s[h + 8], 0x88);
    r[h + 8] = _mm512_shuffle_f32x4(s[h], s[h + 8], 0xdd);
  }
  // After the four stages r[i] holds this column of the block.
  static const int kColumn[16] = {0, 2, 1, 3, 4, 6, 5, 7, 8, 10, 9, 11, 12, 14, 13, 15};
  const __m512 bias = row_bias ? _mm512_loadu_ps(row_bias) : _mm512_setzero_ps();
  for (int i = 0; i < 16; ++i) {
    const int t = kColumn[i];
    if (t < cols) _mm512_storeu_ps(y + t * ldy, _mm512_add_ps(r[i], bias));
  }
}

// One block of NA x NB accumulator tiles (NA groups of 16 weight rows, NB groups of 16
// columns) over the whole reduction.
template <int NA, int NB>
void block(const uint16_t* a, int64_t lda, int64_t k, const uint32_t* b, int parts,
           int64_t part_stride, int64_t cols, const float* row_bias, float* y, int64_t ldy) {
  _tile_zero(0);
  if (NB > 1) _tile_zero(1);
  if (NA > 1) _tile_zero(2);
  if (NA > 1 && NB > 1) _tile_zero(3);
  const int64_t a_stride = lda * 2, slice = slice_words(k);
  for (int64_t kk = 0; kk < k; kk += 32) {
    MASKKV_TILE_LOAD(4, a + kk, a_stride);
    if (NA > 1) MASKKV_TILE_LOAD(5, a + 16 * lda + kk, a_stride);
    for (int part = 0; part < parts; ++part) {
      const uint32_t* bp = b + part * part_stride + kk * 8;
      MASKKV_TILE_LOAD(6, bp, 64);
      if (NB > 1) MASKKV_TILE_LOAD(7, bp + slice, 64);
      _tile_dpbf16ps(0, 4, 6);
      if (NB > 1) _tile_dpbf16ps(1, 4, 7);
      if (NA > 1) _tile_dpbf16ps(2, 5, 6);
      if (NA > 1 && NB > 1) _tile_dpbf16ps(3, 5, 7);
    }
  }
  alignas(64) float c[4][256];
  MASKKV_TILE_STORE(0, c[0], 64);
  if (NB > 1) MASKKV_TILE_STORE(1, c[1], 64);
  if (NA > 1) MASKKV_TILE_STORE(2, c[2], 64);
  if (NA > 1 && NB > 1) MASKKV_TILE_STORE(3, c[3], 64);
  for (int i = 0; i < NA; ++i)
    for (int j = 0; j < NB; ++j)
      store_transposed(c[2 * i + j], cols - 16 * j, row_bias ? row_bias + 16 * i : nullptr,
                       y + 16 * j * ldy + 16 * i, ldy);
}

// NT accumulator tiles: 16 rows of A times 16 * NT columns of B, over the whole reduction.
template <int NT>
void row_block(const uint16_t* a, int64_t lda, int rows, int64_t k, const uint32_t* b, int64_t cols,
               float scale, float* c, int64_t ldc) {
  _tile_zero(0);
  if (NT > 1) _tile_zero(1);
  if (NT > 2) _tile_zero(2);
  if (NT > 3) _tile_zero(3);
  const int64_t slice = slice_words(k);
  for (int64_t kk = 0; kk < k; kk += 32) {
    MASKKV_TILE_LOAD(4, a + kk, lda * 2);
    const uint32_t* bp = b + kk * 8;
    MASKKV_TILE_LOAD(6, bp, 64);
    _tile_dpbf16ps(0, 4, 6);
    if (NT > 1) {
      MASKKV_TILE_LOAD(7, bp + slice, 64);
      _tile_dpbf16ps(1, 4, 7);
    }
    if (NT > 2) {
      MASKKV_TILE_LOAD(6, bp + 2 * slice, 64);
      _tile_dpbf16ps(2, 4, 6);
    }
    if (NT > 3) {
      MASKKV_TILE_LOAD(7, bp + 3 * slice, 64);
      _tile_dpbf16ps(3, 4, 7);
    }
  }
  alignas(64) float out[4][256];
  MASKKV_TILE_STORE(0, out[0], 64);
  if (NT > 1) MASKKV_TILE_STORE(1, out[1], 64);
  if (NT > 2) MASKKV_TILE_STORE(2, out[2], 64);
  if (NT > 3) MASKKV_TILE_STORE(3, out[3], 64);
  const __m512 vscale = _mm512_set1_ps(scale);
  for (int j = 0; j < NT; ++j) {
    const int64_t left = cols - 16 * j;
    const __mmask16 m = left >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1);
    for (int r = 0; r < rows; ++r)
      _mm512_mask_storeu_ps(c + r * ldc + 16 * j, m, _mm512_mul_ps(_mm512_load_ps(out[j] + 16 * r), vscale));
  }
}

}  // namespace

void gemm_rows(const uint16_t* a, int64_t lda, int64_t rows, int64_t k, const uint32_t* b,
               int64_t cols, float scale, float* c, int64_t ldc) {
  static const TileConfig config;
  _tile_loadconfig(&config);
  for (int64_t r = 0; r < rows; r += 16) {
    const int nr = static_cast<int>(rows - r < 16 ? rows - r : 16);
    for (int64_t t = 0; t < cols; t += 64) {
      const int64_t nc = cols - t < 64 ? cols - t : 64;
      const uint16_t* ar = a + r * lda;
      const uint32_t* bt = b + t / 16 * slice_words(k);
      float* ct = c + r * ldc + t;
      switch ((nc + 15) / 16) {
        case 1: row_block<1>(ar, lda, nr, k, bt, nc, scale, ct, ldc); break;
        case 2: row_block<2>(ar, lda, nr, k, bt, nc, scale, ct, ldc); break;
        case 3: row_block<3>(ar, lda, nr, k, bt, nc, scale, ct, ldc); break;
        default: row_block<4>(ar, lda, nr, k, bt, nc, scale, ct, ldc); break;
      }
    }
  }
  _tile_release();
}

void gemm(const uint16_t* a, int64_t lda, int64_t rows_a, int64_t k, const uint32_t* b, int parts,
          int64_t part_stride, int64_t cols_b, const float* row_bias, float* y, int64_t ldy) {
  static const TileConfig config;
  _tile_loadconfig(&config);
  for (int64_t j = 0; j < rows_a; j += 32) {
    const bool two_a = rows_a - j >= 32;
    const uint16_t* aj = a + j * lda;
    const float* bias = row_bias ? row_bias + j : nullptr;
    for (int64_t t = 0; t < cols_b; t += 32) {
      const int64_t cols = cols_b - t < 32 ? cols_b - t : 32;
      const uint32_t* bt = b + t / 16 * slice_words(k);
      float* yt = y + t * ldy + j;
      if (two_a && cols > 16) block<2, 2>(aj, lda, k, bt, parts, part_stride, cols, bias, yt, ldy);
      else if (two_a) block<2, 1>(aj, lda, k, bt, parts, part_stride, cols, bias, yt, ldy);
      else if (cols > 16) block<1, 2>(aj, lda, k, bt, parts, part_stride, cols, bias, yt, ldy);
      else block<1, 1>(aj, lda, k, bt, parts, part_stride, cols, bias, yt, ldy);
    }
  }
  _tile_release();
}

}  // namespace maskkv::cpu::amx
