// Eviction, calibration and dLLM-Cache stepping against the brute-force PyTorch reference
// (tools/reference/eviction.py, dllm_cache.py; data from tools/fixtures/make_eviction_golden.py).
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "engine/cached_runner.h"
#include "engine/calibrator.h"
#include "engine/session.h"
#include "model/model.h"
#include "test_util.h"

using namespace maskkv;

namespace {


std::shared_ptr<Profile> profile_from(const nlohmann::json& j, const Model& m) {
  if (j.is_null()) return nullptr;
  auto p = std::make_shared<Profile>();
  p->n_layers = m.spec().n_layers;
  p->n_kv_heads = m.spec().n_kv_heads;
  p->layer_importance = j["layer_importance"].get<std::vector<double>>();
  p->head_prompt_preference = j["head_prompt_preference"].get<std::vector<std::vector<double>>>();
  return p;
}

CacheOptions cache_options(const nlohmann::json& c, const Model& m) {
  CacheOptions o;
  o.policy = parse_policy(c["policy"]);
  if (c.contains("budget") && !c["budget"].is_null()) o.budget = c["budget"];
  o.window = c["window"];
  o.pool_kernel = c["pool_kernel"];
  o.avg_pool = c.value("pool", "max") == "avg";
  o.alpha = c["alpha"];
  o.beta = c["beta"];
  o.online = c["online"];
  o.profile = profile_from(c["profile"], m);
  if (c.contains("prompt_refresh")) o.prompt_refresh = c["prompt_refresh"];
  if (c.contains("response_refresh")) o.response_refresh = c["response_refresh"];
  if (c.contains("rho")) o.rho = c["rho"];
  return o;
}

}  // namespace

TEST(GoldenEviction, KeptPositionsMatchReferencePerLayerAndHead) {
  auto cases = testutil::read_json(testutil::fixture("golden/eviction.json"));
  ASSERT_GE(cases.size(), 100u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c["name"].get<std::string>());
    auto m = testutil::fixture_model(c["model"]);
    std::vector<int32_t> x = c["prompt_ids"].get<std::vector<int32_t>>();
    const int64_t n_p = static_cast<int64_t>(x.size()), L = c["gen_length"];
    x.resize(n_p + L, m->spec().mask_id);
    CachedRunner r(m, cache_options(c, *m), n_p, L, 1.0);
    r.logits(x, {n_p});
    const auto& want = c["kept"];
    ASSERT_EQ(want.size(), r.prompt_kv().size());
    for (size_t l = 0; l < want.size(); ++l)
      for (size_t h = 0; h < want[l].size(); ++h)
        EXPECT_EQ(r.prompt_kv()[l].kept[h], want[l][h].get<std::vector<int32_t>>()) << "layer " << l << " head " << h;
  }
}

TEST(GoldenEviction, CalibrationMatchesReference) {
  auto cases = testutil::read_json(testutil::fixture("golden/calibration.json"));
  ASSERT_FALSE(cases.empty());
  for (const auto& c : cases) {
    auto m = testutil::fixture_model(c["model"]);
    const auto& samples = c["samples"];
    Calibrator cal(m, samples[0]["gen_length"]);
    for (const auto& s : samples) {
      ASSERT_EQ(s["gen_length"], samples[0]["gen_length"]);
      cal.add_sample(s["prompt_ids"].get<std::vector<int32_t>>());
    }
    Profile p = cal.profile();
    auto I = c["layer_importance"].get<std::vector<double>>();
    auto P = c["head_prompt_preference"].get<std::vector<std::vector<double>>>();
    for (size_t l = 0; l < I.size(); ++l) {
      EXPECT_NEAR(p.layer_importance[l], I[l], 1e-5) << c["model"] << " layer " << l;
      for (size_t h = 0; h < P[l].size(); ++h) EXPECT_NEAR(p.head_prompt_preference[l][h], P[l][h], 1e-5);
    }
    EXPECT_EQ(p.fingerprint, m->fingerprint());
  }
}

TEST(GoldenEviction, CachedGenerationMatchesReference) {
  auto cases = testutil::read_json(testutil::fixture("golden/cached_generate.json"));
  ASSERT_FALSE(cases.empty());
  for (const auto& c : cases) {
    SCOPED_TRACE(c["name"].get<std::string>());
    auto m = testutil::fixture_model(c["model"]);
    GenerateOptions g;
    g.gen_length = c["gen_length"];
    g.steps = c["steps"];
    g.block_length = c["block_length"];
    g.cache = cache_options(c, *m);
    Session s(m, c["prompt_ids"].get<std::vector<int32_t>>(), g);
    while (!s.step()) {
    }
    EXPECT_EQ(s.response(), c["tokens"].get<std::vector<int32_t>>());
    const auto& calls = c["calls"];
    EXPECT_EQ(s.runner()->stats().full_passes, calls["full"].get<int>());
    EXPECT_EQ(s.runner()->stats().response_passes, calls["response"].get<int>());
    EXPECT_EQ(s.runner()->stats().partial_passes, calls["partial"].get<int>());
  }
}
