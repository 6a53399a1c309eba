// Quantized weights against bf16 in the CPU backend's linear, at the shapes of an 8B model
// (4096x4096, 12288x4096, 4096x12288: [out, in]) and activation rows m = 1..64, plus the
// crossover between the int8 kernels and dequantize + sgemm for many rows, and the int8 kernels
// against each other.
//
//   bench_quant_gemm [--threads N] [--reps R] [--rows 1,2,4,...] [--crossover | --kernels [--streamed]]
//
// Prints one table row per (shape, m): the median milliseconds of bf16, q8_0 and q4_0 linear,
// measured in alternation (bf16, q8, q4, bf16, ...) so that load on a shared machine hits all
// alike, and the speedups over bf16. Where the backend interleaves block weights
// (core/quant_interleave.h, CPUs with AVX512-VNNI) q8_0/q4_0 are timed in that layout, the one
// a loaded model uses, and also in ggml's plain layout (the "plain" columns). --crossover times,
// for m = 16..256, the int8 path (cpu::quant_linear) against the dequantizing path (the
// backend's linear above kQuantGemmMaxRows rows, forced through a view of more rows than the
// int8 limit). --kernels calls each int8 kernel this CPU runs directly, on one thread, over a
// whole 4096 x 4096 matrix (plain-layout VNNI or AVX2, interleaved VNNI, interleaved AMX).
// --kernels --streamed times the interleaved kernels as a model's cached step meets them: over
// 1.5 GB of distinct 4096 x 4096 matrices (more than any L3 cache, so the weights stream from
// memory), split between --threads threads as the backend splits a linear: the measurement
// behind cpu::amx_min_rows. It also prints, per type, the time the same threads take only to read
// the matrices: the memory's floor under both kernels.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "backend/backend.h"
#include "backend/cpu/cpu_features.h"
#include "backend/cpu/quant_gemm.h"
#include "backend/cpu/quant_linear.h"
#include "core/dtype.h"
#include "core/quant_interleave.h"
#include "core/quantize.h"
#include "core/thread_pool.h"

using namespace maskkv;

namespace {

std::vector<float> random_vec(size_t n, uint32_t seed) {
  std::mt19937 g(seed);
  std::normal_distribution<float> d(0.0f, 0.02f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(g);
  return v;
}

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// A table cell: the median in milliseconds, or "-" for a kernel this CPU does not run.
std::string median_cell(const std::vector<double>& v) {
  char text[32] = "-";
  if (!v.empty()) std::snprintf(text, sizeof(text), "%.3f", median(v));
  return text;
}

struct Weights3 {
  std::vector<uint16_t> bf16;
  std::vector<uint8_t> q8, q4, q8x, q4x;  // plain, then interleaved by 16 rows
};

Weights3 make_weights(int64_t n, int64_t k) {
  Weights3 w;
  w.bf16.resize(n * k);
  w.q8.resize(dtype_row_bytes(DType::q8_0, k) * n);
  w.q4.resize(dtype_row_bytes(DType::q4_0, k) * n);
  std::vector<float> row;
  for (int64_t j = 0; j < n; ++j) {
    row = random_vec(k, static_cast<uint32_t>(j));
    for (int64_t i = 0; i < k; ++i) w.bf16[j * k + i] = f32_to_bf16(row[i]);
    quantize_row(DType::q8_0, row.data(), w.q8.data() + j * dtype_row_bytes(DType::q8_0, k), k);
    quantize_row(DType::q4_0, row.data(), w.q4.data() + j * dtype_row_bytes(DType::q4_0, k), k);
  }
  w.q8x.resize(w.q8.size());
  w.q4x.resize(w.q4.size());
  for (int64_t g = 0; g < n / kInterleaveRows; ++g) {
    const size_t g8 = dtype_row_bytes(DType::q8_0, k) * kInterleaveRows, g4 = dtype_row_bytes(DType::q4_0, k) * kInterleaveRows;
    interleave_group(DType::q8_0, w.q8.data() + g * g8, k, w.q8x.data() + g * g8);
    interleave_group(DType::q4_0, w.q4.data() + g * g4, k, w.q4x.data() + g * g4);
  }
  return w;
}

// One thread, each kernel on a whole 4096 x 4096 matrix; median of `reps` alternating calls.
int time_kernels(const std::vector<int64_t>& rows, int reps) {
  const int64_t n = 4096, k = 4096, nb = k / kQuantBlock;
  const Weights3 w = make_weights(n, k);
  std::printf("# int8 kernels called directly, one thread, %ldx%ld; median of %d alternating runs (ms)\n", long(n),
              long(k), reps);
  std::printf("%-6s %4s %12s %12s %12s\n", "type", "m", std::string(cpu::quant_gemm_best_name()).append(" plain").c_str(),
              "vnni x16", "amx x16");
  for (DType t : {DType::q8_0, DType::q4_0}) {
    const uint8_t* plain = t == DType::q8_0 ? w.q8.data() : w.q4.data();
    const uint8_t* inter = t == DType::q8_0 ? w.q8x.data() : w.q4x.data();
    for (int64_t m : rows) {
      const auto x = random_vec(m * k, 5);
      std::vector<uint8_t> qb(m * k);
      std::vector<int8_t> qs(m * k);
      std::vector<float> db(m * nb), ds(m * nb), y(m * n);
      std::vector<int32_t> sum(m * nb);
      cpu::quantize_activations(x.data(), k, 0, m, qb.data(), db.data());
      cpu::quantize_rows(x.data(), k, 0, m, qs.data(), ds.data(), sum.data());
      const cpu::QuantActivations xa{qb.data(), db.data(), m, k};
      const cpu::QuantRows xr{qs.data(), ds.data(), sum.data(), m, k};
      const cpu::QuantWeights wp{t, plain, k}, wi{interleaved_dtype(t), inter, k};
      std::vector<std::vector<double>> times(3);
      for (int r = 0; r < reps; ++r) {
        double t0 = now_ms();
        cpu::quant_gemm_best()(xa, wp, 0, n, y.data(), n);
        times[0].push_back(now_ms() - t0);
        if (cpu::has_avx512_vnni()) {
          t0 = now_ms();
          cpu::quant_gemm_x16_vnni(xr, wi, 0, n / kInterleaveRows, y.data(), n);
          times[1].push_back(now_ms() - t0);
        }
        if (cpu::has_amx_int8()) {
          t0 = now_ms();
          cpu::quant_gemm_x16_amx(xr, wi, 0, n / kInterleaveRows, y.data(), n);
          times[2].push_back(now_ms() - t0);
        }
      }
      std::printf("%-6s %4ld %12.12s %12.12s %12.12s\n", dtype_name(t), long(m), median_cell(times[0]).c_str(),
                  median_cell(times[1]).c_str(), median_cell(times[2]).c_str());
      std::fflush(stdout);
    }
  }
  return 0;
}

// The floor under the streamed kernels: the same threads only reading the same matrices (a sum
// of their 64-bit words), the median over `reps` passes of the milliseconds per matrix.
double streamed_read_ms(ThreadPool& pool, const std::vector<uint8_t>& all, int64_t matrix_bytes, int64_t count,
                        int reps) {
  const int64_t words = matrix_bytes / 8, parts = 64;
  std::vector<uint64_t> sink(static_cast<size_t>(parts));
  std::vector<double> times;
  for (int r = 0; r < reps; ++r) {
    const double t0 = now_ms();
    for (int64_t i = 0; i < count; ++i) {
      const uint8_t* base = all.data() + i * matrix_bytes;
      pool.parallel_for(static_cast<size_t>(parts), [&](int, size_t b, size_t e) {
        for (size_t p = b; p < e; ++p) {
          uint64_t acc = 0;
          for (int64_t w = words * static_cast<int64_t>(p) / parts; w < words * static_cast<int64_t>(p + 1) / parts; ++w) {
            uint64_t v;
            std::memcpy(&v, base + 8 * w, 8);
            acc += v;
          }
          sink[p] += acc;
        }
      });
    }
    times.push_back((now_ms() - t0) / static_cast<double>(count));
  }
  if (std::find(sink.begin(), sink.end(), uint64_t{42}) != sink.end()) std::printf(" ");  // keeps the sums live
  return median(times);
}

// The interleaved kernels over enough distinct matrices that every weight comes from memory,
// each matrix's groups split between the pool's threads; the median over `reps` passes of the
// milliseconds per matrix.
int time_streamed_kernels(const std::vector<int64_t>& rows, int reps, int threads) {
  if (!cpu::has_avx512_vnni()) {
    std::printf("# this CPU has no AVX512-VNNI: no interleaved kernels to time\n");
    return 0;
  }
  const int64_t n = 4096, k = 4096, nb = k / kQuantBlock, groups = n / kInterleaveRows;
  ThreadPool pool(threads > 0 ? threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency())));
  std::printf("# interleaved int8 kernels over 1.5 GB of distinct %ldx%ld matrices (streamed from memory), %d "
              "threads; median of %d passes (ms per matrix)\n",
              long(n), long(k), pool.size(), reps);
  std::printf("%-6s %4s %12s %12s\n", "type", "m", "vnni x16", "amx x16");
  for (DType t : {DType::q8_0, DType::q4_0}) {
    // One matrix quantized and interleaved, copied to fill the span: the values do not matter to
    // the time, only that no two matrices share cache lines.
    const Weights3 w = make_weights(n, k);
    const std::vector<uint8_t>& one = t == DType::q8_0 ? w.q8x : w.q4x;
    const int64_t count = std::max<int64_t>(2, int64_t{1500000000} / static_cast<int64_t>(one.size()));
    std::vector<uint8_t> all(one.size() * count);
    for (int64_t i = 0; i < count; ++i) std::copy(one.begin(), one.end(), all.begin() + i * one.size());
    const double read_ms = streamed_read_ms(pool, all, static_cast<int64_t>(one.size()), count, reps);
    std::printf("# %s: reading each matrix alone (%.1f MB) takes %.3f ms, %.1f GB/s: the floor under both kernels\n",
                dtype_name(t), static_cast<double>(one.size()) / 1e6, read_ms,
                static_cast<double>(one.size()) / read_ms / 1e6);
    for (int64_t m : rows) {
      const auto x = random_vec(m * k, 5);
      std::vector<int8_t> qs(m * k);
      std::vector<float> ds(m * nb), y(m * n);
      std::vector<int32_t> sum(m * nb);
      cpu::quantize_rows(x.data(), k, 0, m, qs.data(), ds.data(), sum.data());
      const cpu::QuantRows xr{qs.data(), ds.data(), sum.data(), m, k};
      std::vector<std::vector<double>> times(2);
      for (int r = 0; r < reps; ++r)
        for (int which = 0; which < 2; ++which) {
          if (which == 1 && !cpu::has_amx_int8()) continue;
          const cpu::InterleavedGemmFn fn = which == 0 ? cpu::quant_gemm_x16_vnni : cpu::quant_gemm_x16_amx;
          const double t0 = now_ms();
          for (int64_t i = 0; i < count; ++i) {
            const cpu::QuantWeights wi{interleaved_dtype(t), all.data() + i * one.size(), k};
            pool.parallel_for(static_cast<size_t>(groups), [&](int, size_t b, size_t e) {
              fn(xr, wi, static_cast<int64_t>(b), static_cast<int64_t>(e), y.data(), n);
            });
          }
          times[which].push_back((now_ms() - t0) / static_cast<double>(count));
        }
      std::printf("%-6s %4ld %12.12s %12.12s\n", dtype_name(t), long(m), median_cell(times[0]).c_str(),
                  median_cell(times[1]).c_str());
      std::fflush(stdout);
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 0, reps = 9;
  bool crossover = false, kernels = false, streamed = false;
  std::vector<int64_t> rows = {1, 2, 4, 8, 16, 32, 64};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (a == "--reps" && i + 1 < argc) {
      reps = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--rows" && i + 1 < argc) {
      rows.clear();
      for (const char* p = argv[++i]; *p;) {
        rows.push_back(std::strtoll(p, const_cast<char**>(&p), 10));
        if (*p == ',') ++p;
        else if (*p) { std::fprintf(stderr, "bench_quant_gemm: bad --rows\n"); return 2; }
      }
    } else if (a == "--crossover") {
      crossover = true;
    } else if (a == "--kernels") {
      kernels = true;
    } else if (a == "--streamed") {
      streamed = true;
    } else {
      std::fprintf(stderr,
                   "usage: bench_quant_gemm [--threads N] [--reps R] [--rows 1,2,...] [--crossover | --kernels "
                   "[--streamed]]\n");
      return 2;
    }
  }
  if (crossover && kernels) {
    std::fprintf(stderr, "bench_quant_gemm: --crossover and --kernels are two different runs; give one\n");
    return 2;
  }
  if (streamed && !kernels) {
    std::fprintf(stderr, "bench_quant_gemm: --streamed is a variant of --kernels; give both\n");
    return 2;
  }
  if (kernels && streamed) return time_streamed_kernels(rows, reps, threads);
  if (kernels) return time_kernels(rows, reps);
  auto be = make_cpu_backend(threads);
  std::printf("# int8 kernels: plain layout %s; interleaved layout %s", cpu::quant_gemm_best_name(),
              be->interleaved_block_weights() ? "vnni" : "not used");
  if (be->interleaved_block_weights() && cpu::has_amx_int8())
    std::printf(" below and amx from %ld rows (Q8_0) / %ld rows (Q4_0)", long(cpu::amx_min_rows(DType::q8_0_x16)),
                long(cpu::amx_min_rows(DType::q4_0_x16)));
  std::printf("; threads: %d; median of %d alternating runs\n", be->n_threads(), reps);
  const int64_t shapes[][2] = {{4096, 4096}, {12288, 4096}, {4096, 12288}};
  if (!crossover) {
    const bool inter = be->interleaved_block_weights();
    std::printf("%-12s %4s %10s %10s %10s %8s %8s %8s", "n x k", "m", "bf16 ms", "q8_0 ms", "q4_0 ms", "q8 x", "q4 x",
                "q8 GB/s");
    if (inter) std::printf(" %12s %12s", "q8 plain ms", "q4 plain ms");
    std::printf("\n");
    for (auto& s : shapes) {
      const int64_t n = s[0], k = s[1];
      Weights3 w = make_weights(n, k);
      std::vector<WeightView> views = {{DType::bf16, w.bf16.data(), n, k}};
      if (inter) {
        views.push_back({DType::q8_0_x16, w.q8x.data(), n, k});
        views.push_back({DType::q4_0_x16, w.q4x.data(), n, k});
      }
      views.push_back({DType::q8_0, w.q8.data(), n, k});
      views.push_back({DType::q4_0, w.q4.data(), n, k});
      for (int64_t m : rows) {
        auto x = random_vec(m * k, 99);
        std::vector<float> y(m * n);
        std::vector<std::vector<double>> times(views.size());
        for (const WeightView& v : views) be->linear(x.data(), m, v, nullptr, y.data());  // warm
        for (int r = 0; r < reps; ++r)
          for (size_t i = 0; i < views.size(); ++i) {
            const double t = now_ms();
            be->linear(x.data(), m, views[i], nullptr, y.data());
            times[i].push_back(now_ms() - t);
          }
        std::vector<double> ms;
        for (auto& t : times) ms.push_back(median(t));
        const double b = ms[0], q8 = ms[1], q4 = ms[2];
        std::printf("%5ldx%-6ld %4ld %10.3f %10.3f %10.3f %8.2f %8.2f %8.1f", long(n), long(k), long(m), b, q8, q4,
                    b / q8, b / q4, double(w.q8.size()) / (q8 * 1e6));
        if (inter) std::printf(" %12.3f %12.3f", ms[3], ms[4]);
        std::printf("\n");
        std::fflush(stdout);
      }
    }
    return 0;
  }
  ThreadPool pool(be->n_threads());
  std::printf("%-12s %4s %6s %12s %12s\n", "n x k", "m", "type", "int8 ms", "dequant ms");
  for (auto& s : shapes) {
    const int64_t n = s[0], k = s[1];
    Weights3 w = make_weights(n, k);
    for (int64_t m : {16, 32, 64, 96, 128, 256}) {
      auto x = random_vec(m * k, 7);
      std::vector<float> y(m * n);
      for (DType t : {DType::q8_0, DType::q4_0}) {
        const WeightView v{t, t == DType::q8_0 ? w.q8.data() : w.q4.data(), n, k};
        std::vector<double> ti, td;
        for (int r = 0; r < reps; ++r) {
          double t0 = now_ms();
          cpu::quant_linear(pool, x.data(), m, v, nullptr, y.data());
          ti.push_back(now_ms() - t0);
          // The dequantizing path: the backend's linear over more rows than the int8 limit, of
          // which the first m are timed per row count (rows beyond are padding of zeros).
          const int64_t mm = std::max<int64_t>(m, cpu::kQuantGemmMaxRows + 1);
          std::vector<float> xx(mm * k, 0.0f), yy(mm * n);
          std::copy(x.begin(), x.end(), xx.begin());
          t0 = now_ms();
          be->linear(xx.data(), mm, v, nullptr, yy.data());
          td.push_back(now_ms() - t0);
        }
        std::printf("%5ldx%-6ld %4ld %6s %12.3f %12.3f\n", long(n), long(k), long(m), dtype_name(t), median(ti),
                    median(td));
        std::fflush(stdout);
      }
    }
  }
  return 0;
}
