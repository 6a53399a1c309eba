// The sampler building blocks: the shared RNG, LLaDA's schedule, the commit rules and Dream's
// filtered distribution.
#include <gtest/gtest.h>

#include <cmath>

#include "sampling/commit_rules.h"
#include "sampling/distributions.h"
#include "sampling/rng.h"

using namespace maskkv;

TEST(Rng, SplitMix64ReferenceValues) {
  // Published SplitMix64 outputs for seed 0 (first three values).
  Rng r(0);
  EXPECT_EQ(r.next_u64(), 0xE220A8397B1DCDAFull);
  EXPECT_EQ(r.next_u64(), 0x6E789E6AA1B965F4ull);
  EXPECT_EQ(r.next_u64(), 0x06C45D188009454Full);
}

TEST(Rng, UniformIsOpenInterval) {
  Rng r(42);
  for (int i = 0; i < 100000; ++i) {
    double u = r.uniform();
    ASSERT_GT(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
}

TEST(Rng, SameSeedSameStream) {
  Rng a(7), b(7), c(8);
  bool differs = false;
  for (int i = 0; i < 10; ++i) {
    uint64_t x = a.next_u64();
    EXPECT_EQ(x, b.next_u64());
    differs |= x != c.next_u64();
  }
  EXPECT_TRUE(differs);
}

TEST(Schedule, SpreadsRemainderOverFirstSteps) {
  EXPECT_EQ(llada_schedule(8, 3), (std::vector<int>{3, 3, 2}));
  EXPECT_EQ(llada_schedule(2, 4), (std::vector<int>{1, 1, 0, 0}));
  EXPECT_EQ(llada_schedule(8, 8), std::vector<int>(8, 1));
}

TEST(CommitRules, TopKBreaksTiesByLowerIndex) {
  std::vector<double> c{0.5, 0.9, 0.5, 0.1};
  EXPECT_EQ(select_top_k(c, 2), (std::vector<size_t>{1, 0}));
  EXPECT_EQ(select_top_k(c, 10).size(), 4u);
}

TEST(CommitRules, ThresholdKeepsAtLeastOne) {
  EXPECT_EQ(select_threshold({0.2, 0.95, 0.91, 0.3}, 0.9), (std::vector<size_t>{1, 2}));
  EXPECT_EQ(select_threshold({0.2, 0.5, 0.3}, 0.9), (std::vector<size_t>{1}));
}

TEST(CommitRules, FactorRule) {
  // c(1)=0.99 >= 1-1/2, c(2)=0.8 >= 1-1/3=0.667, c(3)=0.7 < 1-1/4=0.75 -> n = 2.
  EXPECT_EQ(select_factor({0.7, 0.99, 0.8}, 1.0), (std::vector<size_t>{1, 2}));
  EXPECT_EQ(select_factor({0.1, 0.2}, 0.1).size(), 1u);
}

TEST(Distributions, CategoricalFollowsCumulativeWeights) {
  std::vector<double> w{0.0, 0.25, 0.0, 0.75};
  EXPECT_EQ(categorical(w, 0.1), 1u);
  EXPECT_EQ(categorical(w, 0.26), 3u);
  EXPECT_EQ(categorical(w, 0.999999), 3u);
}

TEST(Distributions, DreamTopPKeepsFirstTokenAboveThreshold) {
  // softmax of {ln 0.5, ln 0.3, ln 0.2}: cumulative 0.5, 0.8, 1.0. top_p 0.6 keeps the first
  // two (the second is the one that crosses 0.6).
  float logits[3] = {std::log(0.5f), std::log(0.3f), std::log(0.2f)};
  std::vector<double> p;
  dream_probs(logits, 3, 0.0, 0.6, 0, p);
  EXPECT_NEAR(p[0], 0.5 / 0.8, 1e-6);
  EXPECT_NEAR(p[1], 0.3 / 0.8, 1e-6);
  EXPECT_EQ(p[2], 0.0);
}

TEST(Distributions, DreamTopKAndTemperature) {
  float logits[4] = {1.0f, 3.0f, 2.0f, 0.0f};
  std::vector<double> p;
  dream_probs(logits, 4, 2.0, 1.0, 2, p);
  EXPECT_EQ(p[0], 0.0);
  EXPECT_EQ(p[3], 0.0);
  EXPECT_NEAR(p[1], 1.0 / (1.0 + std::exp(-0.5)), 1e-9);
}

TEST(Distributions, ArgmaxTiesGoToLowerIndex) {
  double x[4] = {1, 3, 3, 2};
  EXPECT_EQ(argmax(x, 4), 1u);
}
