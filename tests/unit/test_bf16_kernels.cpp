// The AVX512-BF16 kernels (backend/cpu/bf16_gemm*.{h,cpp}) against scalar double-precision
// references on odd shapes: m = 1, reduction lengths that are odd or not a multiple of 32, row
// and column counts that leave partial register tiles, several token blocks. The references use
// the operands as the kernels see them (bf16-rounded where the kernel rounds), so the only error
// left is f32 accumulation: the tolerance is 1e-5 of sum |a_i * b_i| for every output. Skipped,
// with a message, on CPUs without AVX512-BF16.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>

#include "backend/backend.h"
#include "backend/cpu/bf16_gemm.h"
#include "backend/cpu/cpu_features.h"
#include "core/dtype.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "test_util.h"

using namespace maskkv;
using testutil::random_vec;

namespace {

constexpr double kTolerance = 1e-5;

#define REQUIRE_AVX512_BF16()                                                                    \
  if (!cpu::has_avx512_bf16()) GTEST_SKIP() << "this CPU lacks AVX512-BF16: the kernels under " \
                                               "test cannot run here"

float rounded(float v) { return bf16_to_f32(f32_to_bf16(v)); }

// Sets MASKKV_CPU_BF16 for one scope.
struct Bf16Env : testutil::ScopedEnv {
  explicit Bf16Env(const char* value) : ScopedEnv("MASKKV_CPU_BF16", value) {}
};

void check_linear(int64_t m, int64_t n, int64_t k, bool round, bool with_bias) {
  SCOPED_TRACE("m " + std::to_string(m) + " n " + std::to_string(n) + " k " + std::to_string(k) +
               (round ? " bf16 activations" : " f32 activations") + (with_bias ? " bias" : ""));
  auto x = random_vec(m * k, 11), wf = random_vec(n * k, 12), bias = random_vec(n, 13);
  std::vector<uint16_t> w(n * k);
  for (size_t i = 0; i < w.size(); ++i) w[i] = f32_to_bf16(wf[i]);
  std::vector<float> y(m * n, NAN);
  ThreadPool pool(2);
  cpu::bf16_linear(pool, x.data(), m, w.data(), n, k, with_bias ? bias.data() : nullptr, round, y.data());
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double ref = with_bias ? bias[j] : 0.0, mag = std::abs(ref);
      for (int64_t t = 0; t < k; ++t) {
        const double a = round ? rounded(x[i * k + t]) : x[i * k + t];
        const double p = a * bf16_to_f32(w[j * k + t]);
        ref += p;
        mag += std::abs(p);
      }
      ASSERT_NEAR(y[i * n + j], ref, kTolerance * mag) << "row " << i << " column " << j;
    }
}

}  // namespace

TEST(Bf16Kernels, LinearMatchesScalarReference) {
  REQUIRE_AVX512_BF16();
  // (m, n, k): single values, odd k, k % 32 != 0, partial tiles in both directions, several token
  // blocks (m above 512), a reduction as long as an MLP's. The first eight take the AVX-512
  // kernels; the rest (n % 16 == 0, k % 32 == 0) the AMX kernel where the CPU has AMX-BF16.
  const int64_t shapes[][3] = {{1, 1, 1},     {1, 7, 33},    {3, 5, 2},      {17, 13, 31},
                               {65, 50, 64},  {37, 301, 75}, {700, 29, 75},  {33, 25, 2305},
                               {1, 16, 32},   {37, 48, 96},  {700, 32, 64},  {17, 160, 2304},
                               {130, 80, 768}};
  for (const auto& s : shapes)
    for (bool round : {false, true}) check_linear(s[0], s[1], s[2], round, s[0] % 2 == 1);
}

TEST(Bf16Kernels, OnlyFastRoundsActivations) {
  REQUIRE_AVX512_BF16();
  // An activation that bf16 cannot hold (it rounds to 1 + 2^-8): the f32 kernel keeps it.
  const float x = 1.0f + 1.0f / 512 + 1.0f / 4096;
  const uint16_t w = f32_to_bf16(1.0f);
  float y = 0;
  ThreadPool pool(1);
  cpu::bf16_linear(pool, &x, 1, &w, 1, 1, nullptr, false, &y);
  EXPECT_EQ(y, x);
  cpu::bf16_linear(pool, &x, 1, &w, 1, 1, nullptr, true, &y);
  EXPECT_EQ(y, rounded(x));
  EXPECT_NE(y, x);
}

TEST(Bf16Kernels, AttentionProductsMatchScalarReference) {
  REQUIRE_AVX512_BF16();
  ThreadPool pool(2);
  const int heads = 2;
  for (int d : {16, 24, 64})
    for (int64_t n : {1, 2, 17, 65, 130}) {
      SCOPED_TRACE("head_dim " + std::to_string(d) + " keys " + std::to_string(n));
      const int64_t ld = int64_t{heads} * d, rows = n, width = n + 3;
      auto q = random_vec(rows * ld, 21), k = random_vec(n * ld, 22), v = random_vec(n * ld, 23);
      auto p = random_vec(rows * width, 24);
      cpu::Bf16Attention att;
      att.pack(pool, k.data(), v.data(), n, heads, d);
      for (int h = 0; h < heads; ++h) {
        std::vector<float> s(rows * width, NAN), o(rows * ld, NAN);
        att.scores(q.data() + h * d, ld, rows, h, 0.5f, s.data(), width);
        att.weighted_values(p.data(), width, rows, h, o.data() + h * d, ld);
        for (int64_t r = 0; r < rows; ++r) {
          for (int64_t j = 0; j < n; ++j) {
            double ref = 0, mag = 0;
            for (int t = 0; t < d; ++t) {
              const double prod = double(rounded(q[r * ld + h * d + t])) * rounded(k[j * ld + h * d + t]);
              ref += prod;
              mag += std::abs(prod);
            }
            ASSERT_NEAR(s[r * width + j], 0.5 * ref, 0.5 * kTolerance * mag) << r << "," << j;
          }
          for (int t = 0; t < d; ++t) {
            double ref = 0, mag = 0;
            for (int64_t j = 0; j < n; ++j) {
              const double prod = double(rounded(p[r * width + j])) * rounded(v[j * ld + h * d + t]);
              ref += prod;
              mag += std::abs(prod);
            }
            ASSERT_NEAR(o[r * ld + h * d + t], ref, kTolerance * mag) << r << "," << t;
          }
        }
      }
    }
}

TEST(Bf16Kernels, EnvironmentSelectsKernels) {
  {
    Bf16Env env("portable");
    EXPECT_EQ(cpu::bf16_kernels_from_env(), cpu::Bf16Kernels::portable);
  }
  {
    Bf16Env env("avx512");
    try {
      cpu::bf16_kernels_from_env();
      FAIL() << "an unknown value was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Code::invalid_argument);
      EXPECT_NE(std::string(e.what()).find("portable, accurate, fast"), std::string::npos) << e.what();
    }
    EXPECT_THROW(make_cpu_backend(1), Error);
  }
  for (const char* value : {"accurate", "fast"}) {
    Bf16Env env(value);
    if (cpu::has_avx512_bf16()) {
      EXPECT_STREQ(cpu::to_string(cpu::bf16_kernels_from_env()), value);
    } else {
      try {
        cpu::bf16_kernels_from_env();
        FAIL() << value << " was accepted on a CPU without AVX512-BF16";
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), Code::unsupported);
      }
    }
  }
  Bf16Env unset(nullptr);
  EXPECT_EQ(cpu::bf16_kernels_from_env(),
            cpu::has_amx_bf16() ? cpu::Bf16Kernels::accurate : cpu::Bf16Kernels::portable);
}

TEST(Bf16Kernels, BackendUsesTheSelectedKernels) {
  REQUIRE_AVX512_BF16();
  // The same bf16 layer and attention through backends made under each setting: `fast` rounds
  // the activations (its result differs from the others by about bf16's precision), `accurate`
  // differs from `portable` by f32 rounding only.
  const int64_t m = 45, n = 70, k = 99;
  auto x = random_vec(m * k, 31), wf = random_vec(n * k, 32);
  std::vector<uint16_t> w(n * k);
  for (size_t i = 0; i < w.size(); ++i) w[i] = f32_to_bf16(wf[i]);
  const WeightView view{DType::bf16, w.data(), n, k};
  std::vector<float> y[3];
  const char* settings[] = {"portable", "accurate", "fast"};
  for (int i = 0; i < 3; ++i) {
    Bf16Env env(settings[i]);
    auto be = make_cpu_backend(2);
    y[i].assign(m * n, NAN);
    be->linear(x.data(), m, view, nullptr, y[i].data());
  }
  double accurate_diff = 0, fast_diff = 0;
  for (int64_t i = 0; i < m * n; ++i) {
    accurate_diff = std::max(accurate_diff, double(std::abs(y[1][i] - y[0][i])));
    fast_diff = std::max(fast_diff, double(std::abs(y[2][i] - y[0][i])));
  }
  // Outputs are sums of 99 products of N(0,1) numbers: f32 summation orders differ by ~1e-5,
  // bf16-rounded activations (2^-9 each) by ~1e-2.
  EXPECT_LT(accurate_diff, 1e-4);
  EXPECT_GT(fast_diff, 1e-2);
  EXPECT_LT(fast_diff, 0.3);
}
