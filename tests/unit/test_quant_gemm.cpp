// The quantized GEMM kernels against the scalar reference (odd shapes, row tails m = 1..64,
// column tails), against f32 arithmetic on the dequantized weights, and through the CPU
// backend's linear on both of its paths (int8 for few rows, dequantize + sgemm for many).
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "backend/backend.h"
#include "backend/cpu/cpu_features.h"
#include "backend/cpu/quant_gemm.h"
#include "backend/cpu/quant_linear.h"
#include "core/dtype.h"
#include "core/quant_blocks.h"
#include "core/quant_interleave.h"
#include "core/quantize.h"

using namespace maskkv;
using namespace maskkv::cpu;

namespace {

std::vector<float> random_values(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

std::vector<uint8_t> quantize_matrix(DType t, const std::vector<float>& w, int64_t n, int64_t k) {
  std::vector<uint8_t> out(dtype_row_bytes(t, k) * n);
  for (int64_t j = 0; j < n; ++j) quantize_row(t, w.data() + j * k, out.data() + j * dtype_row_bytes(t, k), k);
  return out;
}

struct Case {
  DType dtype;
  int64_t m, n, k;
};

// Runs fn on quantized activations of x [m, k] and weights W [n, k]; returns y [m, n].
std::vector<float> run(QuantGemmFn fn, const Case& c, const std::vector<float>& x, const std::vector<uint8_t>& w,
                       int64_t c0, int64_t c1) {
  std::vector<uint8_t> q(c.m * c.k);
  std::vector<float> d(c.m * (c.k / 32));
  quantize_activations(x.data(), c.k, 0, c.m, q.data(), d.data());
  std::vector<float> y(c.m * c.n, -12345.0f);
  fn(QuantActivations{q.data(), d.data(), c.m, c.k}, QuantWeights{c.dtype, w.data(), c.k}, c0, c1, y.data(), c.n);
  return y;
}

void expect_kernel_matches_reference(QuantGemmFn fn, const char* name) {
  for (DType t : {DType::q8_0, DType::q4_0})
    for (int64_t m : {1, 2, 3, 4, 5, 7, 8, 13, 31, 32, 33, 64})
      for (auto [n, k] : {std::pair<int64_t, int64_t>{1, 32}, {3, 96}, {17, 160}, {64, 1024}, {33, 4096}}) {
        const Case c{t, m, n, k};
        const auto x = random_values(m * k, static_cast<uint32_t>(m * 131 + n * 7 + k));
        const auto w = quantize_matrix(t, random_values(n * k, static_cast<uint32_t>(n + k)), n, k);
        // A column range with odd ends, so that the paired-column kernels meet both tails.
        const int64_t c0 = n > 2 ? 1 : 0, c1 = n;
        const auto ref = run(quant_gemm_ref, c, x, w, c0, c1);
        const auto got = run(fn, c, x, w, c0, c1);
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < n; ++j) {
            const float r = ref[i * n + j], g = got[i * n + j];
            if (j < c0) {
              ASSERT_EQ(g, -12345.0f) << name << ": wrote outside its columns";
              continue;
            }
            // Exact integer dots; only the order of the f32 sums differs.
            ASSERT_NEAR(g, r, 1e-4f * (1.0f + std::fabs(r)) * std::sqrt(float(k / 32)))
                << name << " " << dtype_name(t) << " m=" << m << " n=" << n << " k=" << k << " at " << i << "," << j;
          }
      }
}

}  // namespace

TEST(QuantGemm, Avx2MatchesReference) { expect_kernel_matches_reference(quant_gemm_avx2, "avx2"); }

TEST(QuantGemm, VnniMatchesReference) {
  if (!has_avx512_vnni()) GTEST_SKIP() << "this CPU has no AVX512-VNNI";
  expect_kernel_matches_reference(quant_gemm_vnni, "vnni");
}

TEST(QuantGemm, ExtremeWeightBytesDoNotSaturate) {
  // q = -128 (never written by the quantizer, but legal in a GGUF file) and full-scale activations:
  // the 16-bit pair sums of the AVX2 path must not saturate.
  const Case c{DType::q8_0, 3, 4, 64};
  std::vector<uint8_t> w(dtype_row_bytes(DType::q8_0, c.k) * c.n);
  for (size_t b = 0; b < w.size() / 34; ++b) {
    w[b * 34] = 0x00;
    w[b * 34 + 1] = 0x3C;  // d = 1
    for (int j = 0; j < 32; ++j) w[b * 34 + 2 + j] = static_cast<uint8_t>(j % 2 ? 0x80 : 0x7F);
  }
  std::vector<float> x(c.m * c.k);
  for (size_t i = 0; i < x.size(); ++i) x[i] = (i % 2) ? -1.0f : 1.0f;
  const auto ref = run(quant_gemm_ref, c, x, w, 0, c.n);
  // Each pair contributes 127 * 127/127 + (-128) * (-1): per row 64 values -> 32 * (127 + 128).
  for (float v : ref) EXPECT_NEAR(v, 32.0f * 255.0f, 0.5f);
  for (QuantGemmFn fn : {quant_gemm_avx2, has_avx512_vnni() ? quant_gemm_vnni : quant_gemm_avx2}) {
    const auto got = run(fn, c, x, w, 0, c.n);
    for (size_t i = 0; i < got.size(); ++i) EXPECT_FLOAT_EQ(got[i], ref[i]) << i;
  }
}

TEST(QuantGemm, NonFiniteActivationGivesNaN) {
  const Case c{DType::q8_0, 2, 2, 64};
  auto x = random_values(c.m * c.k, 3);
  x[40] = std::numeric_limits<float>::infinity();
  const auto w = quantize_matrix(c.dtype, random_values(c.n * c.k, 4), c.n, c.k);
  const auto y = run(quant_gemm_best(), c, x, w, 0, c.n);
  EXPECT_TRUE(std::isnan(y[0]) && std::isnan(y[1]));
  EXPECT_TRUE(std::isfinite(y[2]) && std::isfinite(y[3]));
}

// The AVX2 activation quantizers against the scalar references, byte for byte: ordinary rows of
// several magnitudes, exact halves (ties round to even), a block of zeros, one too small for
// 127 / amax to be finite, one holding NaN and one holding -Inf.
TEST(QuantGemm, ActivationQuantizersEqualTheReference) {
  const int64_t m = 6, k = 256, nb = k / 32;
  auto x = random_values(m * k, 17);
  for (int64_t i = 0; i < k; ++i) x[k + i] *= 1e-3f;
  for (int64_t i = 0; i < k; ++i) x[2 * k + i] *= 1e4f;
  for (int64_t i = 0; i < 32; ++i) x[3 * k + i] = (i == 0) ? 127.0f : static_cast<float>(i % 9) - 4.5f;
  for (int64_t i = 32; i < 64; ++i) x[3 * k + i] = 0.0f;
  for (int64_t i = 64; i < 96; ++i) x[3 * k + i] = (i % 2 ? 1e-38f : -2e-39f);
  x[4 * k + 7] = std::numeric_limits<float>::quiet_NaN();
  x[5 * k + 100] = -std::numeric_limits<float>::infinity();
  std::vector<int8_t> q(m * k), q_ref(m * k);
  std::vector<uint8_t> a(m * k), a_ref(m * k);
  std::vector<float> d(m * nb), d_ref(m * nb), e(m * nb), e_ref(m * nb);
  std::vector<int32_t> sum(m * nb), sum_ref(m * nb);
  // Two calls over row ranges, so that a quantizer writing outside its rows is seen.
  for (auto [r0, r1] : {std::pair<int64_t, int64_t>{0, 2}, {2, m}}) {
    quantize_rows(x.data(), k, r0, r1, q.data(), d.data(), sum.data());
    quantize_rows_ref(x.data(), k, r0, r1, q_ref.data(), d_ref.data(), sum_ref.data());
    quantize_activations(x.data(), k, r0, r1, a.data(), e.data());
    quantize_activations_ref(x.data(), k, r0, r1, a_ref.data(), e_ref.data());
  }
  EXPECT_EQ(q, q_ref);
  EXPECT_EQ(sum, sum_ref);
  EXPECT_EQ(a, a_ref);
  for (size_t i = 0; i < d.size(); ++i) {
    EXPECT_EQ(std::isnan(d[i]), std::isnan(d_ref[i])) << i;
    if (!std::isnan(d_ref[i])) EXPECT_EQ(d[i], d_ref[i]) << i;
    if (!std::isnan(e_ref[i])) EXPECT_EQ(e[i], e_ref[i]) << i;
  }
  // The cases meant: ties to even, the tiny block's zeros, NaN scales for the non-finite blocks.
  EXPECT_EQ(q_ref[3 * k + 1], -4);  // -3.5 (1 % 9 - 4.5) rounds to -4
  EXPECT_EQ(q_ref[3 * k + 2], -2);  // -2.5 rounds to -2
  EXPECT_EQ(d_ref[3 * nb + 1], 0.0f);
  EXPECT_EQ(d_ref[3 * nb + 2], 0.0f);
  for (int i = 64; i < 96; ++i) EXPECT_EQ(q_ref[3 * k + i], 0) << i;
  EXPECT_TRUE(std::isnan(d_ref[4 * nb]) && std::isnan(d_ref[5 * nb + 3]));
  EXPECT_TRUE(std::isnan(d[4 * nb]) && std::isnan(e[5 * nb + 3]));
}

// Through the backend: y close to x times the dequantized weights in f32, on both paths.
TEST(QuantGemm, BackendLinearOnBothPathsMatchesDequantizedF32) {
  auto be = make_cpu_backend(2);
  for (DType t : {DType::q8_0, DType::q4_0})
    for (int64_t m : {int64_t{1}, int64_t{5}, kQuantGemmMaxRows, kQuantGemmMaxRows + 1, int64_t{150}}) {
      const int64_t n = 70, k = 320;
      const auto x = random_values(m * k, static_cast<uint32_t>(m));
      const auto wq = quantize_matrix(t, random_values(n * k, 11), n, k);
      std::vector<float> wf(n * k), bias(n);
      convert_to_f32(t, wq.data(), wf.data(), wf.size());
      for (int64_t j = 0; j < n; ++j) bias[j] = 0.1f * j;
      std::vector<float> y(m * n);
      be->linear(x.data(), m, WeightView{t, wq.data(), n, k}, bias.data(), y.data());
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          double want = bias[j], mag = 0;
          for (int64_t l = 0; l < k; ++l) {
            want += double(x[i * k + l]) * wf[j * k + l];
            mag += std::fabs(double(x[i * k + l]) * wf[j * k + l]);
          }
          // The int8 path quantizes activations (half a step of 1/127 of each block's max).
          const double tol = m <= kQuantGemmMaxRows ? 0.01 * mag : 1e-4 * mag;
          ASSERT_NEAR(y[i * n + j], want, tol + 1e-4) << dtype_name(t) << " m=" << m << " at " << i << "," << j;
        }
    }
}

// ---- Weights interleaved by 16 rows (core/quant_interleave.h) ---------------------------------

namespace {

std::vector<uint8_t> interleave_matrix(DType plain, const std::vector<uint8_t>& w, int64_t n, int64_t k) {
  std::vector<uint8_t> out(w.size());
  const size_t group = dtype_row_bytes(plain, k) * kInterleaveRows;
  for (int64_t g = 0; g < n / kInterleaveRows; ++g) interleave_group(plain, w.data() + g * group, k, out.data() + g * group);
  return out;
}

std::vector<float> run_x16(InterleavedGemmFn fn, DType t, int64_t m, int64_t n, int64_t k, const std::vector<float>& x,
                           const std::vector<uint8_t>& w, int64_t g0, int64_t g1) {
  std::vector<int8_t> q(m * k);
  std::vector<float> d(m * (k / 32));
  std::vector<int32_t> sum(m * (k / 32));
  quantize_rows(x.data(), k, 0, m, q.data(), d.data(), sum.data());
  std::vector<float> y(m * n, -12345.0f);
  fn(QuantRows{q.data(), d.data(), sum.data(), m, k}, QuantWeights{t, w.data(), k}, g0, g1, y.data(), n);
  return y;
}

}  // namespace

TEST(QuantInterleave, DequantizedGroupsEqualThePlainRows) {
  for (DType t : {DType::q8_0, DType::q4_0})
    for (int64_t k : {32, 96, 4096}) {
      const int64_t n = 48;
      const auto plain = quantize_matrix(t, random_values(n * k, static_cast<uint32_t>(k)), n, k);
      const auto inter = interleave_matrix(t, plain, n, k);
      ASSERT_EQ(inter.size(), plain.size());
      std::vector<float> want(n * k), got(n * k);
      convert_to_f32(t, plain.data(), want.data(), want.size());
      const size_t group = dtype_row_bytes(t, k) * kInterleaveRows;
      for (int64_t g = 0; g < n / kInterleaveRows; ++g)
        dequantize_group(interleaved_dtype(t), inter.data() + g * group, k, got.data() + g * kInterleaveRows * k);
      ASSERT_EQ(got, want) << dtype_name(t) << " k=" << k;
      // Every byte of the layout is written from the plain matrix: no padding, no stale memory.
      EXPECT_NE(inter, plain) << dtype_name(t);
    }
}

TEST(QuantInterleave, ReferenceEqualsThePlainReferenceExactly) {
  // Same integer dots, same order of the f32 sums: the two references agree bit for bit.
  for (DType t : {DType::q8_0, DType::q4_0})
    for (int64_t m : {1, 5, 32}) {
      const int64_t n = 32, k = 160;
      const auto x = random_values(m * k, static_cast<uint32_t>(m + 1));
      const auto plain = quantize_matrix(t, random_values(n * k, 21), n, k);
      const auto want = run(quant_gemm_ref, Case{t, m, n, k}, x, plain, 0, n);
      const auto got = run_x16(quant_gemm_x16_ref, interleaved_dtype(t), m, n, k, x, interleave_matrix(t, plain, n, k),
                               0, n / kInterleaveRows);
      ASSERT_EQ(got, want) << dtype_name(t) << " m=" << m;
    }
}

namespace {

void expect_x16_kernel_matches_reference(InterleavedGemmFn fn, const char* name) {
  for (DType t : {DType::q8_0, DType::q4_0})
    for (int64_t m : {1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 31, 33, 64})
      for (auto [n, k] : {std::pair<int64_t, int64_t>{16, 32}, {48, 96}, {64, 1024}, {32, 4096}}) {
        const DType xt = interleaved_dtype(t);
        const auto x = random_values(m * k, static_cast<uint32_t>(m * 131 + n * 7 + k));
        const auto w = interleave_matrix(t, quantize_matrix(t, random_values(n * k, static_cast<uint32_t>(n + k)), n, k), n, k);
        // Groups from the second on, so that a kernel writing outside its groups is seen.
        const int64_t g0 = n > kInterleaveRows ? 1 : 0, g1 = n / kInterleaveRows;
        const auto ref = run_x16(quant_gemm_x16_ref, xt, m, n, k, x, w, g0, g1);
        const auto got = run_x16(fn, xt, m, n, k, x, w, g0, g1);
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < n; ++j) {
            const float r = ref[i * n + j], g = got[i * n + j];
            if (j < g0 * kInterleaveRows) {
              ASSERT_EQ(g, -12345.0f) << name << " wrote outside its groups";
              continue;
            }
            ASSERT_NEAR(g, r, 1e-4f * (1.0f + std::fabs(r)) * std::sqrt(float(k / 32)))
                << name << " " << dtype_name(xt) << " m=" << m << " n=" << n << " k=" << k << " at " << i << "," << j;
          }
      }
}

}  // namespace

TEST(QuantInterleave, VnniMatchesReference) {
  if (!has_avx512_vnni()) GTEST_SKIP() << "this CPU has no AVX512-VNNI";
  expect_x16_kernel_matches_reference(quant_gemm_x16_vnni, "vnni x16");
}

TEST(QuantInterleave, AmxMatchesReference) {
  if (!has_amx_int8()) GTEST_SKIP() << "this CPU (or OS) offers no AMX-INT8";
  expect_x16_kernel_matches_reference(quant_gemm_x16_amx, "amx x16");
}

TEST(QuantInterleave, ExtremeBytesAndNonFiniteActivations) {
  // q = -128 in a Q8_0 weight (stored interleaved as 0) against full-scale activations, and an
  // Inf in one activation block: exact sums, and NaN only in that row.
  const int64_t m = 3, n = 16, k = 64;
  std::vector<uint8_t> plain(dtype_row_bytes(DType::q8_0, k) * n);
  for (size_t b = 0; b < plain.size() / 34; ++b) {
    plain[b * 34] = 0x00;
    plain[b * 34 + 1] = 0x3C;  // d = 1
    for (int j = 0; j < 32; ++j) plain[b * 34 + 2 + j] = static_cast<uint8_t>(j % 2 ? 0x80 : 0x7F);
  }
  std::vector<float> x(m * k);
  for (size_t i = 0; i < x.size(); ++i) x[i] = (i % 2) ? -1.0f : 1.0f;
  x[2 * k + 40] = std::numeric_limits<float>::infinity();
  const auto w = interleave_matrix(DType::q8_0, plain, n, k);
  for (InterleavedGemmFn fn : {quant_gemm_x16_ref, has_avx512_vnni() ? quant_gemm_x16_vnni : quant_gemm_x16_ref,
                               has_amx_int8() ? quant_gemm_x16_amx : quant_gemm_x16_ref}) {
    const auto y = run_x16(fn, DType::q8_0_x16, m, n, k, x, w, 0, 1);
    for (int64_t i = 0; i < 2 * n; ++i) EXPECT_FLOAT_EQ(y[i], 64.0f * 255.0f / 2.0f) << i;
    for (int64_t i = 2 * n; i < 3 * n; ++i) EXPECT_TRUE(std::isnan(y[i])) << i;
  }
}

// Through the backend: interleaved weights on both paths (int8 kernel for few rows, dequantize
// + sgemm for many) match the plain weights' results.
TEST(QuantInterleave, BackendLinearOnBothPathsMatchesPlainWeights) {
  auto be = make_cpu_backend(2);
  for (DType t : {DType::q8_0, DType::q4_0})
    for (int64_t m : {int64_t{1}, int64_t{9}, kQuantGemmMaxRows, kQuantGemmMaxRows + 1}) {
      const int64_t n = 80, k = 320;
      const auto x = random_values(m * k, static_cast<uint32_t>(m + 7));
      const auto plain = quantize_matrix(t, random_values(n * k, 13), n, k);
      const auto inter = interleave_matrix(t, plain, n, k);
      std::vector<float> bias(n), want(m * n), got(m * n);
      for (int64_t j = 0; j < n; ++j) bias[j] = 0.25f * j;
      be->linear(x.data(), m, WeightView{t, plain.data(), n, k}, bias.data(), want.data());
      be->linear(x.data(), m, WeightView{interleaved_dtype(t), inter.data(), n, k}, bias.data(), got.data());
      for (int64_t i = 0; i < m * n; ++i)
        ASSERT_NEAR(got[i], want[i], 1e-4f * (1.0f + std::fabs(want[i]))) << dtype_name(t) << " m=" << m << " at " << i;
    }
}
