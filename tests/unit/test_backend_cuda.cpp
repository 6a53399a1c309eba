// The CUDA backend against the CPU backend: every operation on random inputs (shapes that are
// not multiples of the kernels' tiles, ragged K/V lengths 0, 1 and 33), then whole generations
// on the fixture checkpoints for every caching policy. Skipped, saying why, in a build without
// CUDA or on a machine without a GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "backend/backend.h"
#include "core/dtype.h"
#include "core/error.h"
#include "engine/cached_runner.h"
#include "engine/session.h"
#include "model/model.h"
#include "test_util.h"

#ifdef MASKKV_HAVE_CUDA
#include <dlfcn.h>

#include "backend/cuda/cublas_loader.h"
#endif

using namespace maskkv;
using testutil::random_vec;

namespace {

#define REQUIRE_CUDA()                                                   \
  do {                                                                   \
    std::string why;                                                     \
    if (!cuda_available(&why)) GTEST_SKIP() << "CUDA tests skipped: " << why; \
  } while (0)

// One CPU and one CUDA backend, fresh for each test (resident() caches by host address).
struct Pair {
  std::unique_ptr<Backend> cpu = make_cpu_backend(2);
  std::unique_ptr<Backend> gpu = make_cuda_backend(0);
};

void expect_close(const std::vector<float>& want, const std::vector<float>& got, double rel, double abs_tol,
                  const std::string& what) {
  ASSERT_EQ(want.size(), got.size()) << what;
  double scale = 0;
  for (float v : want) scale = std::max(scale, std::abs(double(v)));
  for (size_t i = 0; i < want.size(); ++i)
    ASSERT_NEAR(got[i], want[i], abs_tol + rel * scale) << what << " at " << i;
}

class Dev {
 public:
  explicit Dev(Backend& be) : be_(be) {}
  float* put(const std::vector<float>& v) {
    bufs_.push_back(to_backend(be_, v));
    return bufs_.back().data();
  }
  float* zeros(size_t n) { return put(std::vector<float>(n, 0.0f)); }
  std::vector<float> get(const float* p, size_t n) { return to_host(be_, p, n); }
  Backend& be() { return be_; }

 private:
  Backend& be_;
  std::vector<Buf<float>> bufs_;
};

}  // namespace

class CudaLinear : public ::testing::TestWithParam<DType> {};

TEST_P(CudaLinear, MatchesCpuForEveryDtype) {
  REQUIRE_CUDA();
  const DType dt = GetParam();
  for (int64_t m : {1, 7, 33, 130}) {
    Pair bk;
    const int64_t n = 301, k = 75;
    auto x = random_vec(m * k, 1), wf = random_vec(n * k, 2), bias = random_vec(n, 3);
    std::vector<uint16_t> w16(n * k);
    for (int64_t i = 0; i < n * k; ++i) w16[i] = dt == DType::bf16 ? f32_to_bf16(wf[i]) : f32_to_f16(wf[i]);
    const void* host_w = dt == DType::f32 ? static_cast<const void*>(wf.data()) : w16.data();
    std::vector<float> out[2];
    Backend* bes[2] = {bk.cpu.get(), bk.gpu.get()};
    for (int b = 0; b < 2; ++b) {
      Dev d(*bes[b]);
      WeightView w{dt, bes[b]->resident(host_w, size_t(n * k) * dtype_size(dt)), n, k};
      float* y = d.zeros(m * n);
      bes[b]->linear(d.put(x), m, w, d.put(bias), y);
      out[b] = d.get(y, m * n);
    }
    // f32: SGEMM against SGEMM. bf16/f16: the GPU rounds activations to the weight dtype
    // (2^-8 / 2^-11 relative), summed over k = 75 terms of unit size.
    const double tol = dt == DType::f32 ? 1e-5 : (dt == DType::bf16 ? 2e-2 : 4e-3);
    expect_close(out[0], out[1], tol, 1e-4, "linear m=" + std::to_string(m));
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, CudaLinear, ::testing::Values(DType::f32, DType::bf16, DType::f16),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

TEST(CudaBackend, ElementwiseOpsMatchCpu) {
  REQUIRE_CUDA();
  Pair bk;
  const int64_t m = 37, d = 96, H = 3, hd = 32, f = 1000;
  auto x = random_vec(m * d, 4), w = random_vec(d, 5), rows = random_vec(m * H * hd, 6);
  auto cs = random_vec(m * hd / 2, 7), sn = random_vec(m * hd / 2, 8);
  auto g = random_vec(f, 9, 3.0f), u = random_vec(f, 10);
  std::vector<float> table_f = random_vec(50 * d, 11);
  std::vector<uint16_t> table_b(table_f.size());
  for (size_t i = 0; i < table_f.size(); ++i) table_b[i] = f32_to_bf16(table_f[i]);
  std::vector<int32_t> ids = {0, 49, 3, 3, 17, 25, 1};
  std::vector<int64_t> offsets = {5 * d, 0, 36 * d + 10, 2};
  std::vector<float> out[2][8];
  Backend* bes[2] = {bk.cpu.get(), bk.gpu.get()};
  for (int b = 0; b < 2; ++b) {
    Backend& be = *bes[b];
    Dev dv(be);
    float* y = dv.zeros(m * d);
    be.rmsnorm(dv.put(x), m, d, dv.put(w), 1e-5f, y);
    out[b][0] = dv.get(y, m * d);
    float* r = dv.put(rows);
    be.rope(r, m, H, hd, dv.put(cs), dv.put(sn));
    out[b][1] = dv.get(r, rows.size());
    float* o = dv.zeros(f);
    be.swiglu(dv.put(g), dv.put(u), f, o);
    out[b][2] = dv.get(o, f);
    float* a = dv.put(g);
    be.add(a, dv.put(u), f);
    out[b][3] = dv.get(a, f);
    float* e = dv.zeros(ids.size() * d);
    be.embed(ids.data(), int64_t(ids.size()), WeightView{DType::bf16, be.resident(table_b.data(), table_b.size() * 2), 50, d},
             e);
    out[b][4] = dv.get(e, ids.size() * d);
    float* gt = dv.zeros(offsets.size() * 7);
    be.gather(dv.put(x), offsets.data(), int64_t(offsets.size()), 7, gt);
    out[b][5] = dv.get(gt, offsets.size() * 7);
    float* sc = dv.put(x);
    be.scatter(dv.put(random_vec(offsets.size() * 7, 12)), offsets.data(), int64_t(offsets.size()), 7, sc);
    out[b][6] = dv.get(sc, x.size());
    float* cp = dv.zeros(x.size());
    be.copy(cp, dv.put(x), x.size() * sizeof(float));
    out[b][7] = dv.get(cp, x.size());
  }
  const char* names[] = {"rmsnorm", "rope", "swiglu", "add", "embed", "gather", "scatter", "copy"};
  for (int i = 0; i < 8; ++i) expect_close(out[0][i], out[1][i], 2e-6, 1e-6, names[i]);
}

// Dense attention with GQA and score requests, over sizes around the 32-row tiles.
TEST(CudaBackend, AttentionAndColumnSumsMatchCpu) {
  REQUIRE_CUDA();
  Pair bk;
  struct Shape {
    int64_t n_q, n_kv;
    int H, Hkv, d;
  };
  for (const Shape& s : {Shape{1, 1, 2, 1, 16}, Shape{31, 33, 4, 2, 16}, Shape{33, 100, 4, 4, 64},
                         Shape{70, 70, 8, 2, 128}, Shape{5, 257, 2, 2, 96}}) {
    const std::string what = "n_q " + std::to_string(s.n_q) + " n_kv " + std::to_string(s.n_kv) + " d " +
                             std::to_string(s.d) + " H " + std::to_string(s.H) + "/" + std::to_string(s.Hkv);
    auto q = random_vec(s.n_q * s.H * s.d, 20, 2.0f), k = random_vec(s.n_kv * s.Hkv * s.d, 21, 2.0f),
         v = random_vec(s.n_kv * s.Hkv * s.d, 22);
    std::vector<float> out[2], sums[2][2];
    Backend* bes[2] = {bk.cpu.get(), bk.gpu.get()};
    for (int b = 0; b < 2; ++b) {
      Dev dv(*bes[b]);
      float* o = dv.zeros(q.size());
      for (auto& sm : sums[b]) sm.assign(size_t(s.H * s.n_kv), 0.5f);  // accumulated into
      Backend::ScoreRequest req[2] = {{0, s.n_q, sums[b][0].data()},
                                      {s.n_q / 2, s.n_q, sums[b][1].data()}};
      bes[b]->attention(dv.put(q), dv.put(k), dv.put(v), s.n_q, s.n_kv, s.H, s.Hkv, s.d, o, req, 2);
      out[b] = dv.get(o, q.size());
    }
    expect_close(out[0], out[1], 1e-5, 1e-6, "attention " + what);
    expect_close(sums[0][0], sums[1][0], 1e-5, 1e-6, "column sums (all rows) " + what);
    expect_close(sums[0][1], sums[1][1], 1e-5, 1e-6, "column sums (tail rows) " + what);
  }
}

// 16-bit models: the full pass's attention runs on tensor cores (Q, K, V and P rounded to bf16,
// f32 accumulation), so it agrees with the f32 CPU path to bf16 precision.
TEST(CudaBackend, TensorCoreAttentionMatchesCpuToBf16Precision) {
  REQUIRE_CUDA();
  Pair bk;
  bk.gpu->set_compute_dtype(DType::bf16);
  struct Shape {
    int64_t n_q, n_kv;
    int H, Hkv, d;
  };
  for (const Shape& s : {Shape{1, 1, 2, 1, 16}, Shape{31, 33, 4, 2, 16}, Shape{70, 300, 8, 2, 128},
                         Shape{200, 129, 4, 4, 64}}) {
    const std::string what = "n_q " + std::to_string(s.n_q) + " n_kv " + std::to_string(s.n_kv) + " d " +
                             std::to_string(s.d) + " H " + std::to_string(s.H) + "/" + std::to_string(s.Hkv);
    auto q = random_vec(s.n_q * s.H * s.d, 50), k = random_vec(s.n_kv * s.Hkv * s.d, 51),
         v = random_vec(s.n_kv * s.Hkv * s.d, 52);
    std::vector<float> out[2], sums[2];
    Backend* bes[2] = {bk.cpu.get(), bk.gpu.get()};
    for (int b = 0; b < 2; ++b) {
      Dev dv(*bes[b]);
      float* o = dv.zeros(q.size());
      sums[b].assign(size_t(s.H * s.n_kv), 0.0f);
      Backend::ScoreRequest req{s.n_q / 3, s.n_q, sums[b].data()};
      bes[b]->attention(dv.put(q), dv.put(k), dv.put(v), s.n_q, s.n_kv, s.H, s.Hkv, s.d, o, &req, 1);
      out[b] = dv.get(o, q.size());
    }
    expect_close(out[0], out[1], 2e-2, 1e-2, "tensor-core attention " + what);
    expect_close(sums[0], sums[1], 2e-2, 1e-3, "tensor-core column sums " + what);
  }
}

// Ragged prompt K/V per head (0, 1, 33 and 40 kept pairs) plus response K/V.
TEST(CudaBackend, RaggedAttentionMatchesCpu) {
  REQUIRE_CUDA();
  Pair bk;
  const int H = 8, Hkv = 4;
  for (int d : {16, 128}) {
    for (int64_t n_resp : {0, 1, 37}) {
      for (const auto& lens : {std::vector<int64_t>{0, 1, 33, 40}, std::vector<int64_t>{5, 5, 5, 5}}) {
        std::vector<int64_t> offsets(Hkv + 1, 0);
        for (int h = 0; h < Hkv; ++h) offsets[h + 1] = offsets[h] + lens[h];
        if (n_resp == 0 && lens[0] == 0) continue;  // a head with no keys at all has no output
        const int64_t n_q = 45;
        auto q = random_vec(n_q * H * d, 30, 2.0f), pk = random_vec(offsets[Hkv] * d, 31, 2.0f),
             pv = random_vec(offsets[Hkv] * d, 32), rk = random_vec(n_resp * Hkv * d, 33, 2.0f),
             rv = random_vec(n_resp * Hkv * d, 34);
        std::vector<float> out[2];
        Backend* bes[2] = {bk.cpu.get(), bk.gpu.get()};
        for (int b = 0; b < 2; ++b) {
          Dev dv(*bes[b]);
          float* o = dv.zeros(q.size());
          bes[b]->attention_ragged(dv.put(q), n_q, dv.put(pk), dv.put(pv), offsets.data(), dv.put(rk), dv.put(rv),
                                   n_resp, H, Hkv, d, o);
          out[b] = dv.get(o, q.size());
        }
        expect_close(out[0], out[1], 1e-5, 1e-6,
                     "ragged d " + std::to_string(d) + " n_resp " + std::to_string(n_resp) + " first head " +
                         std::to_string(lens[0]));
      }
    }
  }
}

TEST(CudaBackend, MemoryIsAccountedAndExhaustionIsAnError) {
  REQUIRE_CUDA();
  Pair bk;
  Backend& be = *bk.gpu;
  const uint64_t before = be.memory().in_use;
  {
    Buf<float> b(be, 1 << 20);
    EXPECT_GE(be.memory().in_use, before + (4u << 20));
    EXPECT_GE(be.memory().peak, before + (4u << 20));
  }
  EXPECT_EQ(be.memory().in_use, before);
  EXPECT_GT(be.memory().total, 0u);
  // Far more than any GPU has: an out_of_memory error, and the backend still works afterwards.
  testutil::expect_error([&] { Buf<float> huge(be, size_t{1} << 50); }, Code::out_of_memory, "out of memory");
  auto v = random_vec(1000, 40);
  Buf<float> b = to_backend(be, v);
  EXPECT_EQ(to_host(be, b.data(), v.size()), v);
}

// Whole generations: the same tokens as the CPU at temperature 0, and the same kept prompt
// positions, for every policy on LLaDA and Dream (f32 checkpoints: both backends compute in
// f32, so only summation order differs).
namespace {

// A fixture checkpoint loaded once on each backend.
std::pair<std::shared_ptr<Model>, std::shared_ptr<Model>> load_on_both(const std::string& name) {
  ModelOptions co, go;
  co.backend = BackendKind::cpu;
  go.backend = BackendKind::cuda;
  return {Model::load(testutil::fixture("models/" + name), co), Model::load(testutil::fixture("models/" + name), go)};
}

struct GenRun {
  std::vector<int32_t> tokens;
  std::vector<std::vector<std::vector<int32_t>>> kept;  // [layer][kv head]
  int steps = 0;
};

GenRun generate_on(const std::shared_ptr<Model>& m, const std::vector<int32_t>& prompt, const GenerateOptions& o) {
  Session s(m, prompt, o);
  GenRun r;
  while (!s.step()) {
  }
  r.tokens = s.response();
  r.steps = s.stats().steps;
  if (s.runner())
    for (const auto& kv : s.runner()->prompt_kv()) r.kept.push_back(kv.kept);
  return r;
}

}  // namespace

TEST(CudaEndToEnd, SameTokensAndKeptPositionsAsCpuForEveryPolicy) {
  REQUIRE_CUDA();
  for (const std::string name : {"llada_f32", "dream_f32", "llada_deep_f32"}) {
    auto [cpu, gpu] = load_on_both(name);
    ASSERT_EQ(std::string(gpu->backend().name()).rfind("cuda", 0), 0u) << gpu->backend().name();
    ASSERT_FALSE(gpu->backend().host_memory());
    const bool dream = cpu->spec().family == Family::dream;
    std::mt19937 rng(7);
    std::vector<int32_t> prompt(60);
    for (auto& t : prompt) {
      do t = static_cast<int32_t>(rng() % cpu->spec().vocab_size);
      while (t == cpu->spec().mask_id);
    }
    for (const Policy p : {Policy::none, Policy::full, Policy::maskkv, Policy::snapkv, Policy::pyramidkv,
                           Policy::squeezeattention, Policy::adakv}) {
      GenerateOptions o;
      o.gen_length = 16;
      o.steps = 16;
      o.block_length = dream ? 16 : 8;
      o.cache.policy = p;
      o.cache.budget = 12;
      o.cache.window = 8;
      o.cache.online = true;
      const std::string what = name + " policy " + policy_name(p);
      GenRun a = generate_on(cpu, prompt, o), b = generate_on(gpu, prompt, o);
      EXPECT_EQ(a.tokens, b.tokens) << what;
      EXPECT_EQ(a.steps, b.steps) << what;
      EXPECT_EQ(a.kept, b.kept) << what;
      if (p != Policy::none && p != Policy::full) EXPECT_FALSE(b.kept.empty()) << what;
    }
    EXPECT_GT(gpu->backend().memory().peak, 0u);
  }
}

// bf16 checkpoints: the GPU's GEMMs round activations to bf16, so logits agree to bf16
// precision rather than bit for bit.
TEST(CudaEndToEnd, Bf16LogitsAgreeWithCpu) {
  REQUIRE_CUDA();
  for (const std::string name : {"llada_bf16", "dream_bf16"}) {
    auto [cpu, gpu] = load_on_both(name);
    std::vector<int32_t> ids;
    for (int i = 0; i < 50; ++i) ids.push_back((i * 37 + 11) % cpu->spec().mask_id);
    std::vector<int64_t> rows = {0, 17, 49};
    expect_close(cpu->logits(ids, rows, 1.0), gpu->logits(ids, rows, 1.0), 3e-2, 1e-3, name);
  }
}

TEST(CudaBackend, AutoPicksCudaWhenPresent) {
  REQUIRE_CUDA();
  auto m = Model::load(testutil::fixture("models/llada_f32"), ModelOptions{});
  EXPECT_FALSE(m->backend().host_memory()) << m->backend().name();
}

// The cached passes step by step: the same sequence through CachedRunner on both backends,
// committing the CPU's argmax each step, logits compared at every step (prefill with eviction,
// response refreshes and partial updates).
TEST(CudaEndToEnd, CachedLogitsAgreeStepByStepForEveryPolicy) {
  REQUIRE_CUDA();
  for (const std::string name : {"llada_f32", "dream_f32", "llada_deep_f32"}) {
    auto [cpu, gpu] = load_on_both(name);
    const int64_t n_p = 60, L = 16, V = cpu->spec().vocab_size;
    std::vector<int32_t> x(n_p + L, cpu->spec().mask_id);
    for (int64_t i = 0; i < n_p; ++i) x[i] = static_cast<int32_t>((i * 53 + 7) % cpu->spec().mask_id);
    std::vector<int64_t> rows(L);
    for (int64_t i = 0; i < L; ++i) rows[i] = n_p + i;
    for (const Policy p : {Policy::full, Policy::maskkv, Policy::snapkv, Policy::pyramidkv,
                           Policy::squeezeattention, Policy::adakv}) {
      CacheOptions c;
      c.policy = p;
      c.budget = 12;
      c.window = 8;
      c.online = true;
      CachedRunner rc(cpu, c, n_p, L, 1.0), rg(gpu, c, n_p, L, 1.0);
      std::vector<int32_t> xs = x;
      double worst = 0;
      for (int step = 0; step < 12; ++step) {
        auto a = rc.logits(xs, rows), b = rg.logits(xs, rows);
        ASSERT_EQ(a.size(), b.size());
        for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(double(a[i]) - b[i]));
        // Commit the CPU's argmax at one more position.
        const int64_t pos = step;
        xs[n_p + pos] = static_cast<int32_t>(std::max_element(a.begin() + pos * V, a.begin() + (pos + 1) * V) -
                                             (a.begin() + pos * V));
      }
      EXPECT_LT(worst, 1e-4) << name << " policy " << policy_name(p);
      std::printf("  %s %-16s max |logit difference| over 12 steps: %.3g\n", name.c_str(), policy_name(p), worst);
    }
  }
}

#ifdef MASKKV_HAVE_CUDA
// cuBLAS is loaded at run time; where the library is installed (no GPU needed), every entry
// point the backend calls must resolve.
TEST(CudaBuild, CublasLoadsAtRunTimeWhereInstalled) {
  bool present = false;
  for (const char* const* name = cuda::kCublasLibraries; *name && !present; ++name)
    if (void* h = dlopen(*name, RTLD_NOW | RTLD_LOCAL)) {
      present = true;
      dlclose(h);
    }
  if (!present) GTEST_SKIP() << "no cuBLAS library on this machine";
  std::string why;
  const cuda::CublasApi* api = cuda::cublas(&why);
  ASSERT_NE(api, nullptr) << why;
  EXPECT_STREQ(api->status_name(CUBLAS_STATUS_SUCCESS), "CUBLAS_STATUS_SUCCESS");
  EXPECT_NE(api->gemm_strided_batched_ex, nullptr);
}
#endif
