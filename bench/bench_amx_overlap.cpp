// Whether this CPU runs AMX tile instructions and AVX-512 arithmetic at the same time: the
// property that decides how far the interleaved int8 AMX kernel (quant_gemm_x16_amx.cpp) can
// hide the per-block work its products need (every block's integer dots are stored from a
// tile and scaled by the vector unit, because Q8_0 and Q4_0 change scale every 32 values).
//
//   bench_amx_overlap [--iters N]
//
// Times small loops on one thread, operands in L1: the tile part of one block's product as the
// kernel issues it (load the activation and weight tiles, zero, TDPBSSD, store the products),
// its pieces alone, the vector part (convert, scale and accumulate sixteen rows of sixteen
// int32), and both in one loop. Prints nanoseconds and core cycles per iteration (the clock
// measured with a chain of dependent adds) and, for each pair, how much of the shorter loop
// the combined one hides: 100% means the two run side by side, 0% that their times add.
// Prints a message and exits 0 on a CPU without AMX-INT8.
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "backend/cpu/amx_tiles.h"
#include "backend/cpu/cpu_features.h"

namespace {

double seconds_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Core clock in GHz: a chain of dependent adds retires one add per cycle.
double core_ghz() {
  const long n = 400000000;
  double best = 1e30;
  for (int run = 0; run < 3; ++run) {
    long x = 0, left = n;
    const double t0 = seconds_now();
    __asm__ volatile("1: add $1, %0\n\tdec %1\n\tjnz 1b" : "+r"(x), "+r"(left));
    best = std::min(best, seconds_now() - t0);
  }
  return static_cast<double>(n) / best * 1e-9;
}

struct Row {
  const char* name;
  unsigned parts;
  double ns = 0;
};

}  // namespace

// The measured code only: main stays baseline x86-64 so that it can say "no AMX" anywhere.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("amx-tile,amx-int8,avx512f,avx512bw"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("amx-tile,amx-int8,avx512f,avx512bw")
#endif

namespace {

struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t bytes_per_row[16] = {64, 64, 64, 64, 64, 64, 64, 64};
  uint8_t rows[16] = {16, 16, 16, 16, 16, 16, 16, 16};
};
const TileConfig kConfig;

alignas(64) int8_t operands[2][1024];
alignas(64) int32_t products[256];

// The pieces one iteration can run: tile work (any of its three parts) and the vector part.
enum Part : unsigned { kLoads = 1, kProduct = 2, kStore = 4, kVector = 8 };

struct Vec {
  __m512 acc[16];
  __m512i dot[16];
};

inline void tile_part(unsigned parts) {
  if (parts & kLoads) {
    MASKKV_TILE_LOAD(0, operands[0], 64);
    MASKKV_TILE_LOAD(1, operands[1], 64);
  }
  if (parts & kProduct) {
    _tile_zero(2);
    _tile_dpbssd(2, 0, 1);
  }
  if (parts & kStore) MASKKV_TILE_STORE(2, products, 64);
}

// Sixteen rows of one block's products scaled into f32 sums, as the kernel's scale_block does
// (convert, times the activation scale, times the weight scales plus the sum), on registers.
inline void vector_part(Vec& v, __m512 dw, __m512 dx) {
#pragma GCC unroll 16
  for (int r = 0; r < 16; ++r) {
    v.acc[r] = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(v.dot[r]), dx), dw, v.acc[r]);
    __asm__ volatile("" : "+v"(v.dot[r]));  // a new integer input each iteration
  }
}

// Best of five runs of `iters` iterations, in nanoseconds per iteration.
double time_loop(unsigned parts, long iters) {
  Vec v;
  for (int r = 0; r < 16; ++r) {
    v.acc[r] = _mm512_setzero_ps();
    v.dot[r] = _mm512_set1_epi32(r + 1);
  }
  const __m512 dw = _mm512_set1_ps(0.5f), dx = _mm512_set1_ps(0.25f);
  double best = 1e30;
  for (int run = 0; run < 5; ++run) {
    const double t0 = seconds_now();
    for (long i = 0; i < iters; ++i) {
      tile_part(parts);
      if (parts & kVector) vector_part(v, dw, dx);
    }
    best = std::min(best, seconds_now() - t0);
  }
  float sink = 0;
  for (int r = 0; r < 16; ++r) sink += _mm512_reduce_add_ps(v.acc[r]);
  if (sink == 1234.5f) std::printf(" ");  // keeps the vector loop's results live
  return best / static_cast<double>(iters) * 1e9;
}

// Times every row's loop, tiles configured for the run.
void measure(Row* rows, int count, long iters) {
  std::memset(operands, 1, sizeof operands);
  _tile_loadconfig(&kConfig);
  for (int i = 0; i < count; ++i) rows[i].ns = time_loop(rows[i].parts, iters);
  _tile_release();
}

}  // namespace

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

int main(int argc, char** argv) {
  long iters = 2000000;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--iters" && i + 1 < argc) {
      iters = std::atol(argv[++i]);
      if (iters < 1) {
        std::fprintf(stderr, "bench_amx_overlap: --iters needs a positive count\n");
        return 2;
      }
    } else {
      std::fprintf(stderr, "usage: bench_amx_overlap [--iters N]\n");
      return 2;
    }
  }
  if (!maskkv::cpu::has_amx_int8()) {
    std::printf("bench_amx_overlap: this CPU (or OS) offers no AMX-INT8 tiles; nothing to measure\n");
    return 0;
  }
  const double ghz = core_ghz();
  Row rows[] = {
      {"tile loads (2 x 16 rows)", kLoads},
      {"tile product (zero + TDPBSSD)", kProduct},
      {"tile store (16 rows)", kStore},
      {"tile part of one block", kLoads | kProduct | kStore},
      {"vector part (16 rows scaled)", kVector},
      {"tile store + vector part", kStore | kVector},
      {"tile loads + vector part", kLoads | kVector},
      {"tile part + vector part", kLoads | kProduct | kStore | kVector},
  };
  measure(rows, static_cast<int>(sizeof rows / sizeof rows[0]), iters);

  std::printf("# AMX tile instructions beside AVX-512 arithmetic, one thread, operands in L1\n");
  std::printf("# core clock %.2f GHz (dependent adds); best of 5 runs of %ld iterations\n", ghz, iters);
  std::printf("%-32s %10s %10s\n", "loop", "ns/iter", "cycles");
  for (const Row& r : rows) std::printf("%-32s %10.2f %10.1f\n", r.name, r.ns, r.ns * ghz);
  auto hidden = [&](int a, int b, int both) {
    const double shorter = std::min(rows[a].ns, rows[b].ns);
    return 100.0 * (rows[a].ns + rows[b].ns - rows[both].ns) / shorter;
  };
  std::printf("\n%-32s %10s\n", "pair", "hidden");
  std::printf("%-32s %9.0f%%\n", "tile store | vector part", hidden(2, 4, 5));
  std::printf("%-32s %9.0f%%\n", "tile loads | vector part", hidden(0, 4, 6));
  std::printf("%-32s %9.0f%%\n", "tile part | vector part", hidden(3, 4, 7));
  return 0;
}
