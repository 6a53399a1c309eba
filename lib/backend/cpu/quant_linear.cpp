#include "backend/cpu/quant_linear.h"

#include <algorithm>
#include <vector>

#include "backend/cpu/quant_gemm.h"
#include "core/error.h"
#include "core/quant_blocks.h"
#include "core/quant_interleave.h"

namespace maskkv::cpu {

namespace {

void add_bias(const float* bias, int64_t m, int64_t n, int64_t c0, int64_t c1, float* y) {
  if (bias)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = c0; j < c1; ++j) y[i * n + j] += bias[j];
}

// The same product on a weight interleaved by 16 rows (core/quant_interleave.h): each thread
// takes a contiguous range of 16-column groups.
void interleaved_linear(ThreadPool& pool, const float* x, int64_t m, const WeightView& w, const float* bias,
                        float* y) {
  const int64_t n = w.rows, k = w.cols, nb = k / kQuantBlock;
  if (n % kInterleaveRows != 0)
    fail(Code::internal, std::string("quant_linear: a ") + dtype_name(w.dtype) + " weight of " + std::to_string(n) +
                             " rows is not a whole number of 16-row groups");
  std::vector<int8_t> q(static_cast<size_t>(m * k));
  std::vector<float> d(static_cast<size_t>(m * nb));
  std::vector<int32_t> sum(static_cast<size_t>(m * nb));
  pool.parallel_for(static_cast<size_t>(m), [&](int, size_t b, size_t e) {
    quantize_rows(x, k, static_cast<int64_t>(b), static_cast<int64_t>(e), q.data(), d.data(), sum.data());
  });
  const QuantRows xr{q.data(), d.data(), sum.data(), m, k};
  const QuantWeights wq{w.dtype, static_cast<const uint8_t*>(w.data), k};
  const InterleavedGemmFn kernel = interleaved_gemm_for(w.dtype, m);
  pool.parallel_for(static_cast<size_t>(n / kInterleaveRows), [&](int, size_t b, size_t e) {
    kernel(xr, wq, static_cast<int64_t>(b), static_cast<int64_t>(e), y, n);
    add_bias(bias, m, n, static_cast<int64_t>(b) * kInterleaveRows, static_cast<int64_t>(e) * kInterleaveRows, y);
  });
}

}  // namespace

void quant_linear(ThreadPool& pool, const float* x, int64_t m, const WeightView& w, const float* bias,
                  float* y) {
  const int64_t n = w.rows, k = w.cols;
  if (!dtype_is_block(w.dtype) || k % kQuantBlock != 0)
    fail(Code::internal, std::string("quant_linear: a ") + dtype_name(w.dtype) + " weight of " +
                             std::to_string(k) + " columns is not a block-quantized row");
  if (m == 0 || n == 0) return;
  if (dtype_is_interleaved(w.dtype)) return interleaved_linear(pool, x, m, w, bias, y);
  std::vector<uint8_t> q(static_cast<size_t>(m * k));
  std::vector<float> d(static_cast<size_t>(m * (k / kQuantBlock)));
  pool.parallel_for(static_cast<size_t>(m), [&](int, size_t b, size_t e) {
    quantize_activations(x, k, static_cast<int64_t>(b), static_cast<int64_t>(e), q.data(), d.data());
  });
  const QuantActivations xa{q.data(), d.data(), m, k};
  const QuantWeights wq{w.dtype, static_cast<const uint8_t*>(w.data), k};
  static const QuantGemmFn kernel = quant_gemm_best();
  // The pool hands each thread one contiguous range of column pairs (the kernels pair columns).
  pool.parallel_for(static_cast<size_t>((n + 1) / 2), [&](int, size_t b, size_t e) {
    const int64_t c0 = 2 * static_cast<int64_t>(b), c1 = std::min(n, 2 * static_cast<int64_t>(e));
    kernel(xa, wq, c0, c1, y, n);
    add_bias(bias, m, n, c0, c1, y);
  });
}

}  // namespace maskkv::cpu
