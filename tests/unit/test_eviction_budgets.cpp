// Budget allocators and scorers: the invariants of docs/eviction.md on hand-made inputs.
#include <gtest/gtest.h>

#include <numeric>
#include <random>

#include "eviction/budgets.h"
#include "eviction/scores.h"

using namespace maskkv;

TEST(Budgets, MaskKVTotalNeverExceedsBudgetTimesLayersTimesHeads) {
  std::mt19937 g(3);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int trial = 0; trial < 200; ++trial) {
    const int D = 1 + trial % 9, H = 1 + trial % 5;
    const int64_t B = 1 + static_cast<int64_t>(u(g) * 600);
    std::vector<double> I(D);
    std::vector<std::vector<double>> P(D, std::vector<double>(H));
    for (auto& v : I) v = u(g);
    for (auto& row : P)
      for (auto& v : row) v = u(g);
    auto k = maskkv_budgets(I, P, B, 0.1, 0.4);
    int64_t total = 0;
    for (auto& row : k)
      for (int64_t v : row) {
        EXPECT_GE(v, 0);
        total += v;
      }
    EXPECT_LE(total, B * D * H) << "trial " << trial;
    EXPECT_GE(total, B * D * H - D * H) << "flooring loses at most one pair per head";
  }
}

TEST(Budgets, MaskKVFollowsThePaperFormula) {
  // D = 4, B = 100: k_p = 400, k_base = 40, k_imp = 240. Boundary {0, 3} importance 0.3 + 0.1,
  // middle 0.2 + 0.2: k_B = 240 * 0.4 / 0.8 = 120 -> 60 per boundary layer; same for the middle.
  std::vector<double> I{0.3, 0.2, 0.2, 0.1};
  std::vector<std::vector<double>> P(4, {1.0, 3.0});  // P_hat = 0.25, 0.75
  auto k = maskkv_budgets(I, P, 100, 0.1, 0.4);
  // k_l = 100 for every layer; head 0: 0.1*100 + 0.9*2*100*0.25 = 55, head 1: 10 + 135 = 145.
  for (int l = 0; l < 4; ++l) {
    EXPECT_EQ(k[l][0], 55);
    EXPECT_EQ(k[l][1], 145);
  }
}

TEST(Budgets, PyramidMeanIsExactlyTheTarget) {
  for (int D : {1, 2, 5, 12, 32})
    for (int64_t B : {40, 64, 100, 256})
      for (int64_t n_p : {300, 1000, 5000}) {
        const int64_t w = 32;
        auto b = pyramid_prefix_budgets(D, B, w, n_p);
        const int64_t sum = std::accumulate(b.begin(), b.end(), int64_t{0});
        EXPECT_EQ(sum, D * (B - w)) << D << " " << B << " " << n_p;
        for (int l = 1; l < D; ++l) EXPECT_LE(b[l], b[l - 1] + 1);  // falls with depth
        for (int64_t v : b) EXPECT_LE(v, n_p - w);
      }
}

TEST(Budgets, AdaKVRespectsTheFloor) {
  std::mt19937 g(5);
  std::exponential_distribution<float> e(1.0f);
  HeadScores s(4, std::vector<float>(500));
  for (auto& row : s)
    for (auto& v : row) v = e(g);
  for (auto& v : s[0]) v *= 100;  // head 0 dominates the global top-k
  const int64_t B = 96, w = 32, b = B - w, floor_k = static_cast<int64_t>(0.2 * b);
  auto k = adakv_prefix_budgets(s, B, w);
  int64_t total = 0;
  for (int64_t v : k) {
    EXPECT_GE(v, floor_k);
    total += v;
  }
  EXPECT_NEAR(static_cast<double>(total), 4.0 * b, 4.0);
  EXPECT_GT(k[0], k[1]);
}

TEST(Budgets, KMeansFindsThreeGroups) {
  auto label = kmeans3({0.01, 0.02, 0.5, 0.51, 0.9, 0.03, 0.95});
  EXPECT_EQ(label, (std::vector<int>{0, 0, 1, 1, 2, 0, 2}));
}

TEST(Budgets, SqueezeGivesTheLeastImportantLayersLess) {
  // Clusters {0.01, 0.02, 0.03}, {0.5, 0.51, 0.52}, {0.9}: the first is the least important.
  auto k = squeeze_budgets({0.01, 0.02, 0.5, 0.51, 0.52, 0.03, 0.9}, 100, 10000);
  EXPECT_EQ(k, (std::vector<int64_t>{40, 40, 145, 145, 145, 40, 145}));
  EXPECT_LE(std::accumulate(k.begin(), k.end(), int64_t{0}), 700);
}

TEST(Scores, MaskVotingAveragesTheQueryGroup) {
  // H = 4 query heads, 2 KV heads, 3 columns (2 prompt + 1 response).
  const float col[12] = {1, 2, 9, 3, 4, 9, 5, 6, 9, 7, 8, 9};
  auto s = mask_voting_scores(col, 4, 2, 3, 2);
  EXPECT_EQ(s[0], (std::vector<float>{2, 3}));
  EXPECT_EQ(s[1], (std::vector<float>{6, 7}));
  auto p = head_prompt_preference(col, 4, 2, 3, 2);
  EXPECT_NEAR(p[0], 10.0 / 28.0, 1e-12);
}

TEST(Scores, SnapKVMaxPoolsThePrefixOnly) {
  const float col[6] = {0, 5, 0, 0, 1, 100};  // one head, prefix 5, the window column ignored
  auto s = snapkv_scores(col, 1, 1, 6, 5, 3, false);
  EXPECT_EQ(s[0], (std::vector<float>{5, 5, 5, 1, 1}));
  auto a = snapkv_scores(col, 1, 1, 6, 5, 3, true);
  EXPECT_FLOAT_EQ(a[0][0], 5.0f / 3);  // zero padding counts in the divisor
}

TEST(Scores, TopKPositionsAscendingWithLowerIndexOnTies) {
  EXPECT_EQ(top_k_positions({1, 3, 3, 2, 3}, 2), (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(top_k_positions({1, 2}, 5), (std::vector<int32_t>{0, 1}));
}

TEST(Budgets, MaskKVHugeButFiniteStatisticsGiveTheBudgetsOfTheirRatios) {
  // A profile of 1e308s sums past a double; the budgets must be those of the same ratios.
  const std::vector<double> I_small = {1.0, 0.5, 0.25, 1.0};
  const std::vector<std::vector<double>> P_small = {{1.0, 0.5}, {0.5, 1.0}, {1.0, 1.0}, {0.25, 1.0}};
  std::vector<double> I_huge;
  std::vector<std::vector<double>> P_huge;
  for (double v : I_small) I_huge.push_back(v * 1e308);
  for (const auto& row : P_small) {
    P_huge.emplace_back();
    for (double v : row) P_huge.back().push_back(v * 1e308);
  }
  const auto want = maskkv_budgets(I_small, P_small, 64, 0.1, 0.4);
  EXPECT_EQ(maskkv_budgets(I_huge, P_huge, 64, 0.1, 0.4), want);
  for (const auto& row : want)
    for (int64_t v : row) EXPECT_GT(v, 0);
}
