// Micro-benchmarks of the CPU backend's hot operations at the shapes of a ~100M-parameter
// LLaDA-shaped model (d_model 768, 12 heads, MLP 2304, vocabulary 16384). Reports two counters
// (Google Benchmark): GFLOP/s over wall time, and GFLOP/cpu-s over the CPU time of all the
// process's threads (per-core efficiency, much less sensitive to other jobs on the machine).
//
// Linear layers with bf16 weights, rows (tokens) 32..4128, for each way of computing them:
//   BM_LinearBf16/<mode>      the backend's linear() under MASKKV_CPU_BF16=<mode> (portable:
//                             tile-wise conversion to f32 and OpenBLAS sgemm; accurate / fast:
//                             the AVX512-BF16 kernels with split or single-rounded activations)
//   BM_OpenBlasSbgemm         OpenBLAS's cblas_sbgemm on the same operands (activations rounded
//                             to bf16 inside the timed loop), OpenBLAS threads = the pool's size;
//                             looked up at run time, skipped where the OpenBLAS in use was built
//                             without it (Debian 12's 0.3.21 is: no BUILD_BFLOAT16)
// The AVX512-BF16 rows are skipped (with a message) on CPUs without AVX512-BF16.
#include <benchmark/benchmark.h>
#include <cblas.h>
#include <dlfcn.h>

#include <cstdlib>
#include <ctime>
#include <random>
#include <vector>

#include "backend/backend.h"
#include "backend/cpu/cpu_features.h"
#include "core/dtype.h"
#include "core/thread_pool.h"

extern "C" void openblas_set_num_threads(int);

using namespace maskkv;

namespace {

std::vector<float> random_vec(size_t n) {
  std::mt19937 g(1);
  std::normal_distribution<float> d;
  std::vector<float> v(n);
  for (auto& x : v) x = d(g);
  return v;
}

std::vector<uint16_t> bf16_weights(int64_t n, int64_t k) {
  auto wf = random_vec(n * k);
  std::vector<uint16_t> w(n * k);
  for (size_t i = 0; i < w.size(); ++i) w[i] = f32_to_bf16(wf[i]);
  return w;
}

const char* const kModes[] = {"portable", "accurate", "fast"};

double process_cpu_seconds() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// Sets both counters for `flop` operations per iteration; cpu_seconds: CPU time of the loop.
void set_counters(benchmark::State& state, double flop, double cpu_seconds) {
  const double total = flop * static_cast<double>(state.iterations()) / 1e9;
  state.counters["GFLOP/s"] = benchmark::Counter(total, benchmark::Counter::kIsRate);
  state.counters["GFLOP/cpu-s"] = cpu_seconds > 0 ? total / cpu_seconds : 0.0;
}

// state.range: rows, n, k, mode (index into kModes).
void BM_LinearBf16(benchmark::State& state) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  const char* mode = kModes[state.range(3)];
  if (state.range(3) > 0 && !cpu::has_avx512_bf16()) {
    state.SkipWithError("this CPU lacks AVX512-BF16");
    return;
  }
  state.SetLabel(mode);
  auto x = random_vec(m * k);
  auto w = bf16_weights(n, k);
  std::vector<float> y(m * n);
  setenv("MASKKV_CPU_BF16", mode, 1);
  auto be = make_cpu_backend(0);
  unsetenv("MASKKV_CPU_BF16");
  WeightView view{DType::bf16, w.data(), n, k};
  const double cpu0 = process_cpu_seconds();
  for (auto _ : state) be->linear(x.data(), m, view, nullptr, y.data());
  set_counters(state, 2.0 * m * n * k, process_cpu_seconds() - cpu0);
}

using Sbgemm = void (*)(CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, int, int, int, float,
                       const uint16_t*, int, const uint16_t*, int, float, float*, int);

void BM_OpenBlasSbgemm(benchmark::State& state) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  const auto sbgemm = reinterpret_cast<Sbgemm>(dlsym(RTLD_DEFAULT, "cblas_sbgemm"));
  if (!sbgemm) {
    state.SkipWithError("the OpenBLAS in use has no cblas_sbgemm (built without BUILD_BFLOAT16)");
    return;
  }
  auto x = random_vec(m * k);
  auto w = bf16_weights(n, k);
  std::vector<uint16_t> xb(m * k);
  std::vector<float> y(m * n);
  openblas_set_num_threads(ThreadPool::hardware_threads());
  const double cpu0 = process_cpu_seconds();
  for (auto _ : state) {
    for (size_t i = 0; i < xb.size(); ++i) xb[i] = f32_to_bf16(x[i]);
    sbgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m), static_cast<int>(n),
           static_cast<int>(k), 1.0f, xb.data(), static_cast<int>(k), w.data(),
           static_cast<int>(k), 0.0f, y.data(), static_cast<int>(n));
  }
  const double cpu = process_cpu_seconds() - cpu0;
  openblas_set_num_threads(1);
  set_counters(state, 2.0 * m * n * k, cpu);
}

// The linear shapes of the model (n, k): attention projections, MLP up/gate, MLP down, LM head.
const int64_t kShapes[][2] = {{768, 768}, {2304, 768}, {768, 2304}, {16384, 768}};
const int64_t kRows[] = {32, 544, 1056, 2080, 4128};

void linear_args(benchmark::internal::Benchmark* b) {
  for (const auto& s : kShapes)
    for (int64_t m : kRows)
      for (int mode = 0; mode < 3; ++mode) b->Args({m, s[0], s[1], mode});
}

void sbgemm_args(benchmark::internal::Benchmark* b) {
  for (const auto& s : kShapes)
    for (int64_t m : kRows) b->Args({m, s[0], s[1]});
}

BENCHMARK(BM_LinearBf16)->Apply(linear_args)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_OpenBlasSbgemm)->Apply(sbgemm_args)->Unit(benchmark::kMillisecond)->UseRealTime();

// state.range: keys, mode (0 portable = f32, 2 fast = bf16 products).
void BM_Attention(benchmark::State& state) {
  const int64_t n = state.range(0);
  if (state.range(1) > 0 && !cpu::has_avx512_bf16()) {
    state.SkipWithError("this CPU lacks AVX512-BF16");
    return;
  }
  state.SetLabel(kModes[state.range(1)]);
  const int H = 12, d = 64;
  auto q = random_vec(n * H * d), k = random_vec(n * H * d), v = random_vec(n * H * d);
  std::vector<float> out(n * H * d);
  setenv("MASKKV_CPU_BF16", kModes[state.range(1)], 1);
  auto be = make_cpu_backend(0);
  unsetenv("MASKKV_CPU_BF16");
  const double cpu0 = process_cpu_seconds();
  for (auto _ : state) be->attention(q.data(), k.data(), v.data(), n, n, H, H, d, out.data());
  set_counters(state, 4.0 * n * n * H * d, process_cpu_seconds() - cpu0);
}
BENCHMARK(BM_Attention)->ArgsProduct({{544, 1056, 2080, 4128}, {0, 2}})->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
