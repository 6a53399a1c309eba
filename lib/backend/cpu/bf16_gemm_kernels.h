// AVX-512 building blocks of the CPU backend's GEMMs with bf16 weights (bf16_gemm_avx512.cpp).
// Plain functions on raw pointers: that file is the only one compiled with AVX-512 flags, and
// callers must check cpu::has_avx512_bf16() (cpu_features.h) before calling any of them.
//
// The kernels compute C = A * B^T with f32 accumulation. A is read in place, row-major: a linear
// layer's bf16 weights, or bf16-rounded query rows / attention probabilities. B is packed, its
// columns contiguous with stride ldp (a multiple of 16; padding columns are zero):
//   bf16 pairs  for every pair of reduction indices p (elements 2p and 2p+1) one 32-bit word per
//               column holds both bf16 values, low half first (vdpbf16ps's operand layout); an
//               odd reduction length ends with a pair whose second half is zero.
//   f32         one row of f32 values per reduction index.
#pragma once

#include <cstdint>

namespace maskkv::cpu::avx512bf16 {

// Columns of B per register tile, and rows of A per register tile (gemm_f32 needs kTileRows * k
// floats of scratch).
constexpr int64_t kTileCols = 64;
constexpr int64_t kTileRows = 6;

// Packs rows [0, rows) of the f32 matrix x (k columns, row stride ldx) as the columns of a
// bf16-pair operand: out[p * ldp + t] = (bf16(x[t][2p]), bf16(x[t][2p+1])), rounded to nearest
// even. With parts > 1, part i (at out + i * part_stride) holds the same for what parts 0..i-1
// left of x (its rounding error, exact in f32): three parts carry about 24 significant bits,
// f32's precision. Columns [rows, ldp) are zeroed. ldp >= rows, ldp % 16 == 0.
void pack_columns_bf16(const float* x, int64_t ldx, int64_t rows, int64_t k, int64_t ldp,
                       uint32_t* out, int parts = 1, int64_t part_stride = 0);

// The same as an f32 operand: out[i * ldp + t] = x[t][i].
void pack_columns_f32(const float* x, int64_t ldx, int64_t rows, int64_t k, int64_t ldp,
                      float* out);

// Packs the f32 matrix v (rows x cols, row stride ldv) as a bf16-pair operand whose reduction
// index runs over v's rows: out[p * ldp + c] = (bf16(v[2p][c]), bf16(v[2p+1][c])), with a zero
// second half after an odd last row. Columns [cols, ldp) are zeroed. ldp >= cols, ldp % 16 == 0.
void pack_row_pairs_bf16(const float* v, int64_t ldv, int64_t rows, int64_t cols, int64_t ldp,
                         uint32_t* out);

// out[i] = bf16(x[i]), rounded to nearest even, for i in [0, n).
void round_to_bf16(const float* x, int64_t n, uint16_t* out);

// For every row j of A (rows_a rows of k bf16 values, row stride lda) and column t of B
// (cols_b columns):
//   value = scale * sum_i A[j][i] * B[t][i] + (row_bias ? row_bias[j] : 0)
// stored at y[t * ldy + j] when transposed, else at y[j * ldy + t].
// gemm_bf16: B is a bf16-pair operand, products by vdpbf16ps.
// gemm_f32:  B is an f32 operand; A's rows are widened to f32 (exactly) into a_scratch
//            (kTileRows * k floats), products by f32 FMA.
void gemm_bf16(const uint16_t* a, int64_t lda, int64_t rows_a, int64_t k, const uint32_t* b,
               int64_t ldp, int64_t cols_b, const float* row_bias, float scale, bool transposed,
               float* y, int64_t ldy);
void gemm_f32(const uint16_t* a, int64_t lda, int64_t rows_a, int64_t k, const float* b,
              int64_t ldp, int64_t cols_b, const float* row_bias, float* a_scratch,
              bool transposed, float* y, int64_t ldy);

}  // namespace maskkv::cpu::avx512bf16
