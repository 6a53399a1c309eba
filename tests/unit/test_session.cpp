// The denoising loop: option validation, determinism, and the basic guarantees of a session.
#include <gtest/gtest.h>

#include "core/error.h"
#include "engine/session.h"
#include "model/model.h"
#include "model/rope_scaling.h"
#include "test_util.h"

using namespace maskkv;

namespace {

std::shared_ptr<Model> llada() {
  static auto m = Model::load(testutil::fixture("models/llada_f32"), ModelOptions{});
  return m;
}
std::shared_ptr<Model> dream() {
  static auto m = Model::load(testutil::fixture("models/dream_f32"), ModelOptions{});
  return m;
}

GenerateOptions opts(int gen, int steps, int block) {
  GenerateOptions o;
  o.gen_length = gen;
  o.steps = steps;
  o.block_length = block;
  return o;
}

std::vector<int32_t> run(std::shared_ptr<Model> m, std::vector<int32_t> prompt, const GenerateOptions& o) {
  Session s(m, prompt, o);
  while (!s.step()) {
  }
  return s.response();
}


}  // namespace

TEST(Session, CommitsEveryPositionWithoutMasksLeft) {
  auto r = run(llada(), {1, 2, 3}, opts(16, 8, 4));
  ASSERT_EQ(r.size(), 16u);
  for (int32_t t : r) EXPECT_NE(t, llada()->spec().mask_id);
}

TEST(Session, StepCountFollowsTheSchedule) {
  Session s(llada(), {5, 6}, opts(16, 8, 8));
  int steps = 0;
  while (!s.step()) ++steps;
  EXPECT_EQ(steps + 1, 8);
  EXPECT_EQ(s.stats().masks_left, 0);
}

TEST(Session, SameSeedSameOutputDifferentSeedDiffers) {
  GenerateOptions o = opts(16, 16, 16);
  o.temperature = 1.0;
  o.remasking = Remasking::random;
  o.seed = 11;
  auto a = run(llada(), {7, 8, 9}, o), b = run(llada(), {7, 8, 9}, o);
  EXPECT_EQ(a, b);
  bool differs = false;
  for (uint64_t seed = 12; seed < 20 && !differs; ++seed) {
    o.seed = seed;
    differs = run(llada(), {7, 8, 9}, o) != a;
  }
  EXPECT_TRUE(differs);
}

TEST(Session, DreamRunsExactlyStepsSteps) {
  GenerateOptions o = opts(12, 6, 12);
  o.alg = DreamAlg::maskgit_plus;
  Session s(dream(), {4, 5, 6}, o);
  int n = 0;
  while (!s.step()) ++n;
  EXPECT_EQ(n + 1, 6);
  for (int32_t t : s.response()) EXPECT_NE(t, dream()->spec().mask_id);
}

TEST(Session, ThresholdRuleNeedsNoMoreStepsThanSchedule) {
  GenerateOptions o = opts(16, 16, 8);
  o.threshold = 0.3;
  Session s(llada(), {1, 2, 3}, o);
  while (!s.step()) {
  }
  EXPECT_LE(s.stats().steps, 16);
  EXPECT_EQ(s.stats().masks_left, 0);
}

TEST(Session, PromptPastContext) {
  std::vector<int32_t> prompt(llada()->spec().max_seq_len - 4, 1);
  testutil::expect_error([&] { Session(llada(), prompt, opts(8, 8, 8)); }, Code::out_of_range, "exceeds the context");
}

TEST(Session, RopeScalingExtendsContext) {
  const ModelSpec& s = llada()->spec();
  EXPECT_GT(context_length_for_scaling(s, 4.0), s.max_seq_len);
  EXPECT_NEAR(rope_scaling_for_length(s, context_length_for_scaling(s, 4.0)), 4.0, 0.05);
  // The factor picked for a length always admits that length (no off-by-one from rounding).
  ModelSpec tiny = s;
  tiny.head_dim = 32;
  tiny.max_seq_len = 512;
  for (int64_t t = 513; t < 40000; t += 97) EXPECT_GE(context_length_for_scaling(tiny, rope_scaling_for_length(tiny, t)), t) << t;
  for (int64_t t = s.max_seq_len + 1; t < 40000; t += 101)
    EXPECT_GE(context_length_for_scaling(s, rope_scaling_for_length(s, t)), t) << t;
}

TEST(Session, GenLengthNotDivisibleByBlock) {
  testutil::expect_error([&] { Session(llada(), {1}, opts(10, 10, 4)); }, Code::invalid_argument,
               "not divisible by block_length 4");
}

TEST(Session, StepsNotDivisibleByBlocks) {
  testutil::expect_error([&] { Session(llada(), {1}, opts(16, 6, 4)); }, Code::invalid_argument,
               "steps 6 is not divisible by the 4 blocks");
}

TEST(Session, OutOfVocabularyPromptId) {
  testutil::expect_error([&] { Session(llada(), {1, 99999}, opts(8, 8, 8)); }, Code::out_of_range,
               "prompt id 99999 at position 1");
}

TEST(Session, NegativePromptId) {
  testutil::expect_error([&] { Session(llada(), {-1}, opts(8, 8, 8)); }, Code::out_of_range, "prompt id -1");
}

TEST(Session, AbsurdOptions) {
  GenerateOptions o = opts(8, 8, 8);
  o.temperature = -1;
  testutil::expect_error([&] { Session(llada(), {1}, o); }, Code::invalid_argument, "temperature");
  o = opts(8, 8, 8);
  o.top_p = 0;
  testutil::expect_error([&] { Session(llada(), {1}, o); }, Code::invalid_argument, "top_p");
  o = opts(0, 8, 8);
  testutil::expect_error([&] { Session(llada(), {1}, o); }, Code::invalid_argument, "gen_length = 0");
}

TEST(Session, DreamRejectsBlocksAndCfg) {
  testutil::expect_error([&] { Session(dream(), {1}, opts(8, 8, 4)); }, Code::unsupported, "no blocks");
  GenerateOptions o = opts(8, 8, 8);
  o.cfg_scale = 1;
  testutil::expect_error([&] { Session(dream(), {1}, o); }, Code::unsupported, "classifier-free guidance");
}

TEST(Session, CancelStopsNextStep) {
  Session s(llada(), {1, 2}, opts(16, 16, 16));
  s.step();
  s.cancel();
  testutil::expect_error([&] { s.step(); }, Code::cancelled, "cancelled");
}

TEST(Session, AutomaticRopeScalingFollowsTheLongLLaDAFormula) {
  GenerateOptions o = opts(8, 8, 8);
  o.rope_scaling = 0;
  Session fits(llada(), {1, 2, 3}, o);
  EXPECT_EQ(fits.options().rope_scaling, 1.0);
  const int64_t n = llada()->spec().max_seq_len + 40;
  Session longer(llada(), std::vector<int32_t>(n - 8, 1), o);
  EXPECT_GT(longer.options().rope_scaling, 1.0);
  EXPECT_EQ(longer.options().rope_scaling, rope_scaling_for_length(llada()->spec(), n));
  EXPECT_GE(context_length_for_scaling(llada()->spec(), longer.options().rope_scaling), n);
}

TEST(Session, LongLLaDALambdasForLLaDA8B) {
  // LongLLaDA's published factors for LLaDA-8B (d 128, theta 500000, 4k training): 4 ~ 8k,
  // 14 ~ 16k, 31 ~ 24k, 55 ~ 32k tokens.
  ModelSpec s;
  s.head_dim = 128;
  s.rope_theta = 500000;
  s.max_seq_len = 4096;
  EXPECT_NEAR(context_length_for_scaling(s, 4), 8886, 10);
  EXPECT_NEAR(context_length_for_scaling(s, 14), 16624, 20);
  EXPECT_NEAR(context_length_for_scaling(s, 31), 24739, 30);
  EXPECT_NEAR(context_length_for_scaling(s, 55), 32951, 40);
  EXPECT_NEAR(rope_scaling_for_length(s, 32768), 54.4, 0.5);
}
