// dLLM-Cache and eviction on the engine path: the invariants of the issue, on fixture models.
#include <gtest/gtest.h>

#include "core/error.h"
#include "engine/cached_runner.h"
#include "engine/session.h"
#include "model/model.h"
#include "test_util.h"

using namespace maskkv;

namespace {


std::vector<int32_t> prompt(int n) {
  std::vector<int32_t> p(n);
  for (int i = 0; i < n; ++i) p[i] = (i * 37 + 11) % 300;
  return p;
}

// Drives a runner through `calls` forward calls on a sequence whose masks are filled in one by
// one between calls (as commits would), returning every call's logits.
std::vector<std::vector<float>> drive(const std::shared_ptr<Model>& m, const CacheOptions& o, int n_prompt, int L,
                                      int calls) {
  const ModelSpec& s = m->spec();
  std::vector<int32_t> x = prompt(n_prompt);
  x.resize(n_prompt + L, s.mask_id);
  std::vector<int64_t> rows;
  for (int i = 0; i < L; ++i) rows.push_back(n_prompt + i - (s.logit_shift ? 1 : 0));
  CachedRunner runner(m, o, n_prompt, L, 1.0);
  std::vector<std::vector<float>> out;
  for (int c = 0; c < calls; ++c) {
    out.push_back(runner.logits(x, rows));
    x[n_prompt + (c * 5) % L] = (c * 13 + 7) % 300;
  }
  return out;
}

std::vector<std::vector<float>> drive_vanilla(const std::shared_ptr<Model>& m, int n_prompt, int L, int calls) {
  const ModelSpec& s = m->spec();
  std::vector<int32_t> x = prompt(n_prompt);
  x.resize(n_prompt + L, s.mask_id);
  std::vector<int64_t> rows;
  for (int i = 0; i < L; ++i) rows.push_back(n_prompt + i - (s.logit_shift ? 1 : 0));
  std::vector<std::vector<float>> out;
  for (int c = 0; c < calls; ++c) {
    out.push_back(m->logits(x, rows, 1.0));
    x[n_prompt + (c * 5) % L] = (c * 13 + 7) % 300;
  }
  return out;
}

// Options for policy p; the budget and the SnapKV window only where p uses them (elsewhere they
// are refused as having no effect).
CacheOptions with(Policy p, int budget) {
  CacheOptions o;
  o.policy = p;
  if (evicts(p)) o.budget = budget;
  if (p == Policy::snapkv || p == Policy::pyramidkv || p == Policy::squeezeattention || p == Policy::adakv) {
    o.window = 4;
    o.pool_kernel = 3;
  }
  o.online = p == Policy::maskkv;
  return o;
}


}  // namespace

TEST(CachedRunner, RefreshEveryCallWithRhoZeroIsVanilla) {
  for (const char* name : {"llada_f32", "dream_f32"}) {
    CacheOptions o;
    o.policy = Policy::full;
    o.prompt_refresh = 1;
    o.response_refresh = 1;
    o.rho = 0;
    auto cached = drive(testutil::fixture_model(name), o, 20, 8, 4);
    auto vanilla = drive_vanilla(testutil::fixture_model(name), 20, 8, 4);
    for (size_t c = 0; c < cached.size(); ++c) EXPECT_EQ(cached[c], vanilla[c]) << name << " call " << c;
  }
}

TEST(CachedRunner, BudgetCoveringThePromptEqualsFull) {
  for (const char* name : {"llada_f32", "dream_f32"}) {
    CacheOptions full;
    full.policy = Policy::full;
    full.prompt_refresh = 1000;
    full.response_refresh = 3;
    auto reference = drive(testutil::fixture_model(name), full, 30, 8, 7);
    for (Policy p : {Policy::maskkv, Policy::snapkv, Policy::pyramidkv, Policy::squeezeattention, Policy::adakv}) {
      CacheOptions o = with(p, 30);
      o.response_refresh = 3;
      auto got = drive(testutil::fixture_model(name), o, 30, 8, 7);
      for (size_t c = 0; c < got.size(); ++c)
        EXPECT_EQ(got[c], reference[c]) << name << " " << policy_name(p) << " call " << c;
    }
  }
}

TEST(CachedRunner, PartialUpdateOfEveryTokenEqualsResponseRefresh) {
  CacheOptions a;
  a.policy = Policy::full;
  a.prompt_refresh = 1000;
  a.response_refresh = 1;
  CacheOptions b = a;
  b.response_refresh = 1000;
  b.rho = 1.0;
  EXPECT_EQ(drive(testutil::fixture_model("llada_f32"), a, 16, 8, 5), drive(testutil::fixture_model("llada_f32"), b, 16, 8, 5));
}

TEST(CachedRunner, PartialUpdatesReuseStaleFeatures) {
  CacheOptions o;
  o.policy = Policy::full;
  o.prompt_refresh = 1000;
  o.response_refresh = 1000;
  o.rho = 0.25;
  auto cached = drive(testutil::fixture_model("llada_f32"), o, 16, 8, 3);
  auto vanilla = drive_vanilla(testutil::fixture_model("llada_f32"), 16, 8, 3);
  EXPECT_EQ(cached[0], vanilla[0]);  // the prefill is a full pass
  EXPECT_NE(cached[2], vanilla[2]);  // later calls reuse stale features
}

TEST(CachedRunner, EvictionKeepsExactlyTheBudgetPerHead) {
  for (Policy p : {Policy::snapkv, Policy::maskkv, Policy::pyramidkv, Policy::adakv, Policy::squeezeattention}) {
    const int n_p = 60, B = 16;
    auto m = testutil::fixture_model("dream_f32");
    std::vector<int32_t> x = prompt(n_p);
    x.resize(n_p + 8, m->spec().mask_id);
    CachedRunner r(m, with(p, B), n_p, 8, 1.0);
    r.logits(x, {n_p + 3});
    int64_t total = 0;
    for (const PromptKV& kv : r.prompt_kv()) {
      ASSERT_EQ(kv.kept.size(), static_cast<size_t>(m->spec().n_kv_heads));
      for (const auto& head : kv.kept) {
        EXPECT_TRUE(std::is_sorted(head.begin(), head.end()));
        EXPECT_LE(head.size(), static_cast<size_t>(n_p));
        total += static_cast<int64_t>(head.size());
        if (p == Policy::snapkv) {
          EXPECT_EQ(head.size(), static_cast<size_t>(B));
          EXPECT_EQ(head.back(), n_p - 1);  // the window is always kept
        }
      }
    }
    EXPECT_LE(total, int64_t(B) * m->spec().n_layers * m->spec().n_kv_heads + m->spec().n_layers * m->spec().n_kv_heads)
        << policy_name(p);
    EXPECT_EQ(r.stats().kv_pairs_kept, total);
    EXPECT_LT(total, int64_t(n_p) * m->spec().n_layers * m->spec().n_kv_heads) << policy_name(p);
  }
}

TEST(CachedRunner, OfflineEvictionPeaksBelowOnlineAndFull) {
  auto m = testutil::fixture_model("llada_f32");
  const int n_p = 120;
  std::vector<int32_t> x = prompt(n_p);
  x.resize(n_p + 8, m->spec().mask_id);
  auto peak = [&](CacheOptions o) {
    CachedRunner r(m, o, n_p, 8, 1.0);
    r.logits(x, {n_p});
    return r.stats().kv_bytes_peak;
  };
  CacheOptions offline = with(Policy::maskkv, 16);
  offline.online = false;
  auto profile = std::make_shared<Profile>();
  profile->n_layers = m->spec().n_layers;
  profile->n_kv_heads = m->spec().n_kv_heads;
  profile->layer_importance.assign(profile->n_layers, 0.1);
  profile->head_prompt_preference.assign(profile->n_layers, std::vector<double>(profile->n_kv_heads, 0.5));
  offline.profile = profile;
  CacheOptions full;
  full.policy = Policy::full;
  EXPECT_LT(peak(offline), peak(with(Policy::maskkv, 16)));
  EXPECT_LT(peak(offline), peak(full));
}

TEST(CachedRunner, BadOptions) {
  auto m = testutil::fixture_model("llada_f32");
  GenerateOptions g;
  g.gen_length = 8;
  g.cache = with(Policy::snapkv, 0);
  testutil::expect_error([&] { Session(m, prompt(40), g); }, Code::invalid_argument, "budget = 0");
  g.cache.budget = -3;
  testutil::expect_error([&] { Session(m, prompt(40), g); }, Code::invalid_argument, "budget = -3");
  g.cache = with(Policy::snapkv, 8);
  g.cache.window = 64;
  testutil::expect_error([&] { Session(m, prompt(40), g); }, Code::invalid_argument, "window 64 is larger than the prompt (40 tokens)");
  g.cache = with(Policy::maskkv, 8);
  g.cache.online = false;
  testutil::expect_error([&] { Session(m, prompt(40), g); }, Code::invalid_argument, "needs a profile");
  g.cache = with(Policy::full, 8);
  g.cfg_scale = 1.0;
  testutil::expect_error([&] { Session(m, prompt(40), g); }, Code::unsupported, "classifier-free guidance");
  g.cfg_scale = 0;
  g.cache.budget = 8;  // policy full keeps everything: a budget would be ignored
  testutil::expect_error([&] { Session(m, prompt(40), g); }, Code::unsupported, "budget has no effect here");
  g.cache = with(Policy::maskkv, 8);
  g.cache.window = 8;
  testutil::expect_error([&] { Session(m, prompt(40), g); }, Code::unsupported, "window has no effect here");
  g.cache = with(Policy::none, 8);
  g.top_k = 5;  // the LLaDA sampler has no top-k
  testutil::expect_error([&] { Session(m, prompt(40), g); }, Code::unsupported, "top_k has no effect here");
  g.top_k = 0;
  g.sampler = SamplerKind::dream;
  g.block_length = 0;
  g.remasking = Remasking::random;  // the Dream sampler does not remask
  testutil::expect_error([&] { Session(m, prompt(40), g); }, Code::unsupported, "remasking has no effect here");
  testutil::expect_error([] { parse_policy("h2o"); }, Code::invalid_argument, "unknown policy 'h2o'");
}

TEST(CachedRunner, SessionsUnderEveryPolicyFinish) {
  for (const char* name : {"llada_f32", "dream_bf16"})
    for (Policy p : {Policy::full, Policy::maskkv, Policy::snapkv, Policy::pyramidkv, Policy::squeezeattention, Policy::adakv}) {
      GenerateOptions g;
      g.gen_length = 16;
      g.steps = 16;
      g.block_length = std::string(name) == "llada_f32" ? 8 : 16;
      g.cache = with(p, 12);
      Session s(testutil::fixture_model(name), prompt(50), g);
      while (!s.step()) {
      }
      EXPECT_EQ(s.stats().masks_left, 0) << name << " " << policy_name(p);
      EXPECT_GT(s.stats().kv_bytes_peak, 0u);
    }
}

TEST(CachedRunner, MemoryLimitFailsBeforeAllocatingAndBoundsThePeak) {
  auto m = testutil::fixture_model("llada_f32");
  for (Policy p : {Policy::none, Policy::full, Policy::snapkv, Policy::maskkv, Policy::squeezeattention}) {
    GenerateOptions g;
    g.gen_length = 16;
    g.block_length = 8;
    g.cache = with(p, 12);
    const GenerateOptions resolved = resolve_options(g, m->spec(), 60);
    const uint64_t bound = cache_bytes_bound(resolved, m->spec(), 60);
    Session s(m, prompt(60), g);
    while (!s.step()) {
    }
    EXPECT_LE(s.stats().kv_bytes_peak, bound) << policy_name(p);
    g.cache.memory_limit = bound - 1;
    testutil::expect_error([&] { Session(m, prompt(60), g); }, Code::out_of_memory, "kv_memory_limit");
    g.cache.memory_limit = bound;
    Session ok(m, prompt(60), g);
  }
}
