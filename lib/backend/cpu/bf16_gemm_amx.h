// AMX (TMUL) kernel of the CPU backend's linear layers with bf16 weights
// (bf16_gemm_amx.cpp, the only file compiled with AMX flags). Callers must check
// cpu::has_amx_bf16() (cpu_features.h), which also obtains the OS permission to use AMX.
#pragma once

#include <cstdint>

namespace maskkv::cpu::amx {

// Words (one bf16 pair each) of one 16-column slice of a packed operand with k inputs.
inline int64_t slice_words(int64_t k) { return k / 2 * 16; }

// y[t * ldy + j] = sum_i A[j][i] * B[t][i] + (row_bias ? row_bias[j] : 0) for the rows j of A
// (rows_a bf16 rows of k values, row stride lda) and the columns t < cols_b of B. B is the sum
// of `parts` operands at b + part * part_stride, each made of 16-column slices of
// slice_words(k) words: the bf16-pair operands (bf16_gemm_kernels.h) with ldp 16 of columns
// [16 s, 16 s + 16), one after another, so that every tile load reads 1 KiB in one piece.
// Needs rows_a % 16 == 0 and k % 32 == 0.
void gemm(const uint16_t* a, int64_t lda, int64_t rows_a, int64_t k, const uint32_t* b, int parts,
          int64_t part_stride, int64_t cols_b, const float* row_bias, float* y, int64_t ldy);

// c[r * ldc + t] = scale * sum_i A[r][i] * B[t][i] for r < rows, t < cols: A bf16 row-major
// (row stride lda; rows up to the next multiple of 16 must be readable, their values unused),
// B one operand of 16-column slices as for gemm. Needs k % 32 == 0.
void gemm_rows(const uint16_t* a, int64_t lda, int64_t rows, int64_t k, const uint32_t* b,
               int64_t cols, float scale, float* c, int64_t ldc);

}  // namespace maskkv::cpu::amx
