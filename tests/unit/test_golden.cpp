// Golden tests: the engine against the independent PyTorch reference (tools/reference), on the
// fixture checkpoints. Data written by tools/fixtures/make_golden.py.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "engine/session.h"
#include "model/model.h"
#include "test_util.h"

using namespace maskkv;

namespace {


double number_or(const nlohmann::json& j, const char* key, double fallback) {
  return j.contains(key) && !j[key].is_null() ? j[key].get<double>() : fallback;
}

bool flag(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_boolean() && j[key].get<bool>();
}

GenerateOptions options_from(const nlohmann::json& c) {
  GenerateOptions o;
  o.gen_length = c["gen_length"];
  o.steps = c["steps"];
  o.block_length = c["block_length"];
  o.sampler = c["sampler"] == "dream" ? SamplerKind::dream : SamplerKind::llada;
  o.remasking = c.contains("remasking") && c["remasking"] == "random" ? Remasking::random
                                                                      : Remasking::low_confidence;
  const std::map<std::string, DreamAlg> algs{{"origin", DreamAlg::origin},
                                             {"maskgit_plus", DreamAlg::maskgit_plus},
                                             {"topk_margin", DreamAlg::topk_margin},
                                             {"entropy", DreamAlg::entropy}};
  if (c.contains("alg") && c["alg"].is_string()) o.alg = algs.at(c["alg"].get<std::string>());
  o.alg_temp = number_or(c, "alg_temp", 0);
  o.temperature = number_or(c, "temperature", 0);
  o.top_p = number_or(c, "top_p", 1);
  o.top_k = static_cast<int>(number_or(c, "top_k", 0));
  o.cfg_scale = number_or(c, "cfg_scale", 0);
  o.threshold = number_or(c, "threshold", 0);
  o.factor = number_or(c, "factor", 0);
  o.eos_logit_inf = flag(c, "eos_logit_inf");
  o.eos_confidence_inf = flag(c, "eos_confidence_inf");
  o.seed = c.contains("seed") && !c["seed"].is_null() ? c["seed"].get<uint64_t>() : 0;
  o.rope_scaling = number_or(c, "rope_scaling", 1);
  return o;
}

}  // namespace

TEST(Golden, LogitsMatchReference) {
  auto cases = testutil::read_json(testutil::fixture("golden/logits.json"));
  ASSERT_FALSE(cases.empty());
  for (const auto& c : cases) {
    auto m = testutil::fixture_model(c["model"]);
    std::vector<int32_t> ids = c["input_ids"].get<std::vector<int32_t>>();
    std::vector<int64_t> rows(ids.size());
    for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<int64_t>(i);
    std::vector<float> got = m->logits(ids, rows, number_or(c, "rope_scaling", 1.0));
    const auto& want = c["logits"];
    ASSERT_EQ(want.size(), ids.size());
    const size_t vocab = m->spec().vocab_size;
    double worst = 0;
    for (size_t r = 0; r < ids.size(); ++r) {
      ASSERT_EQ(want[r].size(), vocab);
      for (size_t v = 0; v < vocab; ++v)
        worst = std::max(worst, std::abs(double(got[r * vocab + v]) - want[r][v].get<double>()));
    }
    EXPECT_LT(worst, 1e-4) << c["model"] << " rope_scaling " << number_or(c, "rope_scaling", 1.0);
  }
}

TEST(Golden, GeneratedTokensMatchReference) {
  auto cases = testutil::read_json(testutil::fixture("golden/generate.json"));
  ASSERT_GE(cases.size(), 10u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c["name"].get<std::string>());
    Session s(testutil::fixture_model(c["model"]), c["prompt_ids"].get<std::vector<int32_t>>(), options_from(c));
    while (!s.step()) {
    }
    EXPECT_EQ(s.response(), c["tokens"].get<std::vector<int32_t>>());
    if (c.contains("steps_taken")) EXPECT_EQ(s.stats().steps, c["steps_taken"].get<int>());
  }
}
