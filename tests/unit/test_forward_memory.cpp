// The one forward pass over a block of rows with a ForwardMemory: each K/V source and refresh
// choice against the plain whole-sequence pass (fixture models: LLaDA MHA, Dream GQA).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "cache/kv_store.h"
#include "model/transformer.h"
#include "test_util.h"

using namespace maskkv;

namespace {

std::vector<int32_t> sequence(int n, int seed) {
  std::vector<int32_t> ids(n);
  for (int i = 0; i < n; ++i) ids[i] = (i * 37 + 11 * seed + 5) % 300;
  return ids;
}

std::vector<int64_t> range(int64_t begin, int64_t end) {
  std::vector<int64_t> r;
  for (int64_t i = begin; i < end; ++i) r.push_back(i);
  return r;
}

// Keeps, from a whole-sequence pass, every layer's K/V of the first n_prefix rows and the
// features (K, V, attention and FFN outputs) of every row.
class Keeper final : public ForwardObserver {
 public:
  Keeper(const Model& m, int64_t n, int64_t n_prefix)
      : m_(m), n_(n), n_prefix_(n_prefix), prefix(m.spec().n_layers), features(m.spec().n_layers) {}
  void on_attention(int l, const float*, const float* attn_out, const float* k, const float* v) override {
    const ModelSpec& s = m_.spec();
    const int64_t dkv = int64_t(s.n_kv_heads) * s.head_dim;
    prefix[l].assign_all(m_.backend(), k, v, s.n_kv_heads, s.head_dim, n_prefix_);
    features[l].k = copy_rows(m_.backend(), k, 0, n_, dkv);
    features[l].v = copy_rows(m_.backend(), v, 0, n_, dkv);
    features[l].attn = copy_rows(m_.backend(), attn_out, 0, n_, s.d_model);
  }
  void on_ffn(int l, const float* ffn_out) override {
    features[l].ffn = copy_rows(m_.backend(), ffn_out, 0, n_, m_.spec().d_model);
  }
  const Model& m_;
  int64_t n_, n_prefix_;
  std::vector<PromptKV> prefix;
  std::vector<ResponseFeatures> features;
};

class TestMemory final : public ForwardMemory {
 public:
  std::vector<PromptKV>* prefixes = nullptr;
  std::vector<ResponseFeatures>* cached = nullptr;
  std::function<std::vector<int64_t>(int64_t)> choose = [](int64_t n) { return range(0, n); };
  int refresh_calls = 0;
  const PromptKV* prefix(int l) override { return prefixes ? &(*prefixes)[l] : nullptr; }
  ResponseFeatures* features(int l) override { return cached ? &(*cached)[l] : nullptr; }
  std::vector<int64_t> refresh(int, const float*, const float*, int64_t n) override {
    ++refresh_calls;
    return choose(n);
  }
};

std::vector<float> run(const Model& m, const std::vector<int32_t>& ids, int64_t first, int64_t n,
                       const std::vector<int64_t>& rows, ForwardMemory* memory = nullptr,
                       ForwardObserver* obs = nullptr) {
  return forward_logits(m.spec(), m.weights(), m.backend(), RowBlock{ids.data() + first, first, n}, rows,
                        m.spec().rope_theta, memory, obs);
}

}  // namespace

// The later rows of a sequence, computed alone against the earlier rows' K/V from a pass over
// the whole sequence, get that pass's logits (to attention's summation order).
TEST(ForwardMemory, PrefixKVOfAWholePassReproducesItsLaterRows) {
  for (const char* name : {"llada_f32", "dream_f32"}) {
    const auto m = testutil::fixture_model(name);
    const int64_t n = 19, np = 13;
    const std::vector<int32_t> ids = sequence(n, 1);
    Keeper keep(*m, n, np);
    const std::vector<float> whole = run(*m, ids, 0, n, range(np, n), nullptr, &keep);
    TestMemory mem;
    mem.prefixes = &keep.prefix;
    const std::vector<float> later = run(*m, ids, np, n - np, range(np, n), &mem);
    ASSERT_EQ(later.size(), whole.size());
    double worst = 0;
    for (size_t i = 0; i < whole.size(); ++i) worst = std::max(worst, double(std::fabs(later[i] - whole[i])));
    EXPECT_LT(worst, 1e-4) << name;
    EXPECT_EQ(mem.refresh_calls, 0) << "nothing cached, nothing to choose";
  }
}

// Cached features of another sequence, every row refreshed: exactly the plain pass.
TEST(ForwardMemory, RefreshingEveryCachedRowEqualsThePlainPass) {
  for (const char* name : {"llada_f32", "dream_f32"}) {
    const auto m = testutil::fixture_model(name);
    const int64_t n = 16;
    Keeper stale(*m, n, 0);
    run(*m, sequence(n, 2), 0, n, {}, nullptr, &stale);
    const std::vector<int32_t> ids = sequence(n, 3);
    TestMemory mem;
    mem.cached = &stale.features;
    EXPECT_EQ(run(*m, ids, 0, n, range(0, n), &mem), run(*m, ids, 0, n, range(0, n))) << name;
    EXPECT_EQ(mem.refresh_calls, m->spec().n_layers);
  }
}

// No row refreshed: the residual stream advances by the cached outputs only, so features cached
// from the same sequence give its logits exactly, and stale ones do not.
TEST(ForwardMemory, RefreshingNoRowReusesTheCachedOutputs) {
  const auto m = testutil::fixture_model("llada_f32");
  const int64_t n = 12;
  const std::vector<int32_t> ids = sequence(n, 4);
  Keeper same(*m, n, 0), stale(*m, n, 0);
  const std::vector<float> plain = run(*m, ids, 0, n, range(0, n), nullptr, &same);
  run(*m, sequence(n, 5), 0, n, {}, nullptr, &stale);
  TestMemory mem;
  mem.choose = [](int64_t) { return std::vector<int64_t>{}; };
  mem.cached = &same.features;
  EXPECT_EQ(run(*m, ids, 0, n, range(0, n), &mem), plain);
  mem.cached = &stale.features;
  EXPECT_NE(run(*m, ids, 0, n, range(0, n), &mem), plain);
}

// Refreshing some rows changes exactly those rows' cached K, attention and FFN outputs.
TEST(ForwardMemory, PartialRefreshWritesOnlyTheChosenRows) {
  const auto m = testutil::fixture_model("dream_f32");
  const ModelSpec& s = m->spec();
  const int64_t n = 10, dkv = int64_t(s.n_kv_heads) * s.head_dim;
  Keeper stale(*m, n, 0);
  run(*m, sequence(n, 6), 0, n, {}, nullptr, &stale);
  std::vector<std::vector<float>> k_before, attn_before;
  for (const auto& f : stale.features) {
    k_before.push_back(to_host(m->backend(), f.k.data(), f.k.size()));
    attn_before.push_back(to_host(m->backend(), f.attn.data(), f.attn.size()));
  }
  TestMemory mem;
  mem.cached = &stale.features;
  mem.choose = [](int64_t) { return std::vector<int64_t>{2, 7}; };
  run(*m, sequence(n, 7), 0, n, range(0, n), &mem);
  for (int l = 0; l < s.n_layers; ++l) {
    const auto k = to_host(m->backend(), stale.features[l].k.data(), stale.features[l].k.size());
    const auto attn = to_host(m->backend(), stale.features[l].attn.data(), stale.features[l].attn.size());
    for (int64_t r = 0; r < n; ++r) {
      const bool chosen = r == 2 || r == 7;
      const bool k_same = std::equal(k.begin() + r * dkv, k.begin() + (r + 1) * dkv, k_before[l].begin() + r * dkv);
      const bool attn_same = std::equal(attn.begin() + r * s.d_model, attn.begin() + (r + 1) * s.d_model,
                                        attn_before[l].begin() + r * s.d_model);
      EXPECT_EQ(k_same, !chosen) << "layer " << l << " row " << r;
      EXPECT_EQ(attn_same, !chosen) << "layer " << l << " row " << r;
    }
  }
}

TEST(ForwardMemory, BadRequestsAreInternalErrors) {
  const auto m = testutil::fixture_model("llada_f32");
  const int64_t n = 8;
  const std::vector<int32_t> ids = sequence(n, 8);
  Keeper keep(*m, n, 0);
  run(*m, ids, 0, n, {}, nullptr, &keep);
  TestMemory mem;
  mem.cached = &keep.features;
  mem.choose = [](int64_t) { return std::vector<int64_t>{3, 1}; };
  testutil::expect_error([&] { run(*m, ids, 0, n, {0}, &mem); }, Code::internal, "ascend");
  mem.choose = [](int64_t n) { return std::vector<int64_t>{n}; };
  testutil::expect_error([&] { run(*m, ids, 0, n, {0}, &mem); }, Code::internal, "ascend");
  // A row outside the block whose final residual nothing holds.
  testutil::expect_error([&] { run(*m, ids, 2, n - 2, {1}); }, Code::internal, "row 1");
  // Cached features sized for another block.
  mem.choose = [](int64_t k) { return range(0, k); };
  testutil::expect_error([&] { run(*m, ids, 2, n - 2, {2}, &mem); }, Code::internal, "do not match");
}
