// The CPU backend against naive double-precision references, on shapes that are not multiples
// of any tile size.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "backend/backend.h"
#include "backend/cpu/vec_math.h"
#include "core/dtype.h"
#include "test_util.h"

using namespace maskkv;
using testutil::random_vec;

namespace {

}  // namespace

TEST(CpuBackend, Exp8IsAccurate) {
  float in[8] = {-87.0f, -20.0f, -1.5f, -1e-3f, 0.0f, 0.7f, 10.0f, 80.0f};
  float out[8];
  _mm256_storeu_ps(out, cpu::exp8(_mm256_loadu_ps(in)));
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(out[i] / std::exp(double(in[i])), 1.0, 1e-6) << in[i];
  float under[8] = {-100, -200, -1e30f, -88.5f, -90, -1000, -87.5f, -104};
  _mm256_storeu_ps(out, cpu::exp8(_mm256_loadu_ps(under)));
  for (float v : out) EXPECT_EQ(v, 0.0f);
}

class LinearTest : public ::testing::TestWithParam<DType> {};

TEST_P(LinearTest, MatchesNaiveForEveryDtype) {
  const DType dt = GetParam();
  const int64_t m = 37, n = 301, k = 75;
  auto x = random_vec(m * k, 1), wf = random_vec(n * k, 2), bias = random_vec(n, 3);
  std::vector<uint16_t> w16(n * k);
  std::vector<float> wq(n * k);  // the weights as the stored dtype represents them
  for (int64_t i = 0; i < n * k; ++i) {
    if (dt == DType::bf16) { w16[i] = f32_to_bf16(wf[i]); wq[i] = bf16_to_f32(w16[i]); }
    else if (dt == DType::f16) { w16[i] = f32_to_f16(wf[i]); wq[i] = f16_to_f32(w16[i]); }
    else wq[i] = wf[i];
  }
  WeightView w{dt, dt == DType::f32 ? static_cast<const void*>(wf.data()) : w16.data(), n, k};
  auto be = make_cpu_backend(2);
  std::vector<float> y(m * n);
  be->linear(x.data(), m, w, bias.data(), y.data());
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double ref = bias[j];
      for (int64_t t = 0; t < k; ++t) ref += double(x[i * k + t]) * wq[j * k + t];
      ASSERT_NEAR(y[i * n + j], ref, 1e-4 * (1 + std::abs(ref))) << i << "," << j;
    }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, LinearTest, ::testing::Values(DType::f32, DType::bf16, DType::f16));

TEST(CpuBackend, AttentionMatchesNaiveWithGqa) {
  const int H = 6, Hkv = 2, d = 16;
  for (int64_t n : {1, 2, 63, 64, 65, 130}) {
    auto q = random_vec(n * H * d, 4), k = random_vec(n * Hkv * d, 5), v = random_vec(n * Hkv * d, 6);
    auto be = make_cpu_backend(2);
    std::vector<float> out(n * H * d);
    be->attention(q.data(), k.data(), v.data(), n, n, H, Hkv, d, out.data());
    for (int h = 0; h < H; ++h) {
      const int kvh = h / (H / Hkv);
      for (int64_t i = 0; i < n; ++i) {
        std::vector<double> s(n);
        double mx = -1e300, sum = 0;
        for (int64_t j = 0; j < n; ++j) {
          double dot = 0;
          for (int t = 0; t < d; ++t) dot += double(q[(i * H + h) * d + t]) * k[(j * Hkv + kvh) * d + t];
          s[j] = dot / std::sqrt(double(d));
          mx = std::max(mx, s[j]);
        }
        for (auto& x : s) sum += (x = std::exp(x - mx));
        for (int t = 0; t < d; ++t) {
          double ref = 0;
          for (int64_t j = 0; j < n; ++j) ref += s[j] / sum * v[(j * Hkv + kvh) * d + t];
          ASSERT_NEAR(out[(i * H + h) * d + t], ref, 1e-5) << "n=" << n << " h=" << h << " i=" << i;
        }
      }
    }
  }
}

TEST(CpuBackend, RmsNormRopeSwigluEmbed) {
  auto be = make_cpu_backend(2);
  const int64_t m = 3, d = 10;
  auto x = random_vec(m * d, 7), w = random_vec(d, 8);
  std::vector<float> y(m * d);
  be->rmsnorm(x.data(), m, d, w.data(), 1e-5f, y.data());
  for (int64_t i = 0; i < m; ++i) {
    double ss = 0;
    for (int64_t j = 0; j < d; ++j) ss += double(x[i * d + j]) * x[i * d + j];
    double inv = 1 / std::sqrt(ss / d + 1e-5);
    for (int64_t j = 0; j < d; ++j) EXPECT_NEAR(y[i * d + j], w[j] * x[i * d + j] * inv, 1e-5);
  }
  // RoPE: rotating by angle a then reading pairs (j, j + half).
  std::vector<float> r{1, 2, 3, 4}, c{std::cos(0.5f), std::cos(0.25f)}, s{std::sin(0.5f), std::sin(0.25f)};
  be->rope(r.data(), 1, 1, 4, c.data(), s.data());
  EXPECT_NEAR(r[0], 1 * c[0] - 3 * s[0], 1e-6);
  EXPECT_NEAR(r[2], 3 * c[0] + 1 * s[0], 1e-6);
  EXPECT_NEAR(r[1], 2 * c[1] - 4 * s[1], 1e-6);
  auto g = random_vec(1000, 9), u = random_vec(1000, 10);
  std::vector<float> o(1000);
  be->swiglu(g.data(), u.data(), 1000, o.data());
  for (int i = 0; i < 1000; ++i) EXPECT_NEAR(o[i], g[i] / (1 + std::exp(-double(g[i]))) * u[i], 1e-5);
  std::vector<uint16_t> table{f32_to_bf16(1.5f), f32_to_bf16(-2.0f), f32_to_bf16(0.25f), f32_to_bf16(8.0f)};
  std::vector<float> e(4);
  int32_t ids[2] = {1, 0};
  be->embed(ids, 2, WeightView{DType::bf16, table.data(), 2, 2}, e.data());
  EXPECT_EQ(e, (std::vector<float>{0.25f, 8.0f, 1.5f, -2.0f}));
}
