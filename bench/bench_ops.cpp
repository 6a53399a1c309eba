// Micro-benchmarks of the CPU backend's hot operations at the shapes of a ~100M-parameter
// LLaDA-shaped model (d_model 768, 12 heads, MLP 2304) over a 4k-token sequence. Reports
// GFLOP/s as a counter (Google Benchmark).
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "backend/backend.h"
#include "core/dtype.h"

using namespace maskkv;

namespace {

std::vector<float> random_vec(size_t n) {
  std::mt19937 g(1);
  std::normal_distribution<float> d;
  std::vector<float> v(n);
  for (auto& x : v) x = d(g);
  return v;
}

void BM_LinearBf16(benchmark::State& state) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  auto x = random_vec(m * k), wf = random_vec(n * k);
  std::vector<uint16_t> w(n * k);
  for (size_t i = 0; i < w.size(); ++i) w[i] = f32_to_bf16(wf[i]);
  std::vector<float> y(m * n);
  auto be = make_cpu_backend(0);
  WeightView view{DType::bf16, w.data(), n, k};
  for (auto _ : state) be->linear(x.data(), m, view, nullptr, y.data());
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * m * n * k * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LinearBf16)->Args({4128, 768, 768})->Args({4128, 2304, 768})->Args({4128, 768, 2304})->Args({32, 16384, 768})->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Attention(benchmark::State& state) {
  const int64_t n = state.range(0);
  const int H = 12, d = 64;
  auto q = random_vec(n * H * d), k = random_vec(n * H * d), v = random_vec(n * H * d);
  std::vector<float> out(n * H * d);
  auto be = make_cpu_backend(0);
  for (auto _ : state) be->attention(q.data(), k.data(), v.data(), n, n, H, H, d, out.data());
  state.counters["GFLOP/s"] = benchmark::Counter(4.0 * n * n * H * d * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Attention)->Arg(1056)->Arg(4128)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
