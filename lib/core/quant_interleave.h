// Q8_0 and Q4_0 weights with 16 rows interleaved (DType q8_0_x16 / q4_0_x16): the layout the
// CPU's AVX512-VNNI kernel reads, made once at load from ggml's row-major blocks
// (core/quant_blocks.h). It holds the same values and scales in the same number of bytes; only
// the order changes, so that one 64-byte vector holds four consecutive values of sixteen rows
// and one vpdpbusd computes sixteen columns of a product.
//
// A matrix of n rows (n a multiple of 16) and k columns (a multiple of 32) is n / 16 groups;
// a group is k / 32 tiles, one per block column; a tile is
//   16 f16 scales d, one per row (32 bytes), then the values as unsigned bytes:
//   Q8_0: 8 chunks of 64 bytes; chunk c holds values 4c..4c+3 of each row, row after row,
//         each value stored as q + 128 (0..255);                       tile = 544 bytes
//   Q4_0: 4 chunks of 64 bytes; chunk c holds values 4c..4c+3 of each row in the low
//         nibbles and values 16+4c..16+4c+3 in the high nibbles, each the stored q (0..15),
//         whose value is q - 8;                                          tile = 288 bytes
// So both are 16 times the bytes of one plain block per tile, and a group is 16 plain rows.
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "core/quant_blocks.h"

namespace maskkv {

constexpr int kInterleaveRows = 16;

// Where a tile's values start (after the sixteen f16 scales), and the bytes of one 64-byte
// vector of four values per row.
constexpr int kInterleavedScaleBytes = 2 * kInterleaveRows;
constexpr int kInterleavedChunkBytes = 4 * kInterleaveRows;

// Tile bytes of an interleaved dtype, for kernels that need them as constants.
template <DType T>
constexpr int64_t kInterleavedTileBytes =
    static_cast<int64_t>(T == DType::q8_0_x16 ? sizeof(BlockQ8_0) : sizeof(BlockQ4_0)) * kInterleaveRows;
// What each stored byte (or nibble) carries above the value: Q8_0 stores q + 128, Q4_0 its
// nibble q whose value is q - 8.
template <DType T>
constexpr int32_t kInterleavedOffset = T == DType::q8_0_x16 ? 128 : 8;

// The byte of a tile's values (counted from kInterleavedScaleBytes) that holds value t (0..31)
// of row r: Q8_0 all 32 values; Q4_0 values t < 16 in the low nibble and t + 16 in the high one
// of the byte for t.
constexpr int interleaved_value_byte(int r, int t) { return (t / 4) * kInterleavedChunkBytes + r * 4 + t % 4; }

// The interleaved dtype of a plain block dtype (q8_0 -> q8_0_x16, q4_0 -> q4_0_x16).
DType interleaved_dtype(DType plain);
// The values' dtype whatever the layout: q8_0_x16 -> q8_0, q4_0_x16 -> q4_0, others unchanged.
DType plain_dtype(DType t);

// Tile bytes (one block column of one group).
int64_t interleaved_tile_bytes(DType interleaved);

// 16 plain rows of k values (row stride dtype_row_bytes(plain, k)) into one group at dst.
void interleave_group(DType plain, const void* src, int64_t k, void* dst);

// One group at src back to 16 rows of k floats at dst (row stride k).
void dequantize_group(DType interleaved, const void* src, int64_t k, float* dst);

}  // namespace maskkv
