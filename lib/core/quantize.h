// Quantization of f32 rows to the Q8_0 / Q4_0 block formats (core/quant_blocks.h) and back.
// The rounding follows ggml's reference quantizers, so a row quantized here matches one
// quantized by llama.cpp's tools.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/dtype.h"

namespace maskkv {

// n values (a multiple of 32) into n / 32 blocks at dst.
void quantize_row_q8_0(const float* x, void* dst, int64_t n);
void quantize_row_q4_0(const float* x, void* dst, int64_t n);
// n values (a multiple of 32) out of the blocks at src.
void dequantize_row_q8_0(const void* src, float* y, int64_t n);
void dequantize_row_q4_0(const void* src, float* y, int64_t n);

// Quantizes n f32 values into a block dtype (Q8_0 or Q4_0); n a multiple of 32.
void quantize_row(DType to, const float* x, void* dst, int64_t n);

}  // namespace maskkv
