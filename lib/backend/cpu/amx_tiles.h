// AMX tile loads and stores shared by the tile kernels (bf16_gemm_amx.cpp,
// quant_gemm_x16_amx.cpp). Macros, not functions: nothing here is compiled outside the files
// that enable AMX.
//
// Written as inline assembly with a 64-bit stride register: the intrinsics pass the stride as
// `long`, which is 32 bits on Windows and does not assemble there.
#pragma once

#include <cstdint>

#define MASKKV_TILE_LOAD(tile, base, stride)                                                     \
  __asm__ volatile("tileloadd (%0,%1,1), %%tmm" #tile ::"r"(static_cast<const void*>(base)),    \
                   "r"(static_cast<int64_t>(stride))                                            \
                   : "memory")
#define MASKKV_TILE_STORE(tile, base, stride)                                                    \
  __asm__ volatile("tilestored %%tmm" #tile ", (%0,%1,1)" ::"r"(static_cast<void*>(base)),      \
                   "r"(static_cast<int64_t>(stride))                                            \
                   : "memory")
