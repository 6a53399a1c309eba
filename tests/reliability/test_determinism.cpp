// A seed reproduces a run exactly on the same backend (README), whatever else the machine does:
// the same generation repeated while other threads generate on other models (so that the
// pool's workers are descheduled at different points each time) must give the same tokens
// every time. This short version runs in every build and under TSan; tools/stress_determinism.sh
// is the long one (hundreds of CLI runs under parallel load, and under wine).
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "maskkv.h"

namespace {

const std::string kFixtures = MASKKV_FIXTURES;

maskkv_model* load(const std::string& name, int threads) {
  maskkv_model_options o;
  maskkv_model_default_options(&o);
  o.n_threads = threads;
  maskkv_model* m = nullptr;
  EXPECT_EQ(maskkv_model_load((kFixtures + "/models/" + name).c_str(), &o, &m), MASKKV_OK) << maskkv_last_error();
  return m;
}

// Sampled (temperature 0.8), cached and evicting: every layer of the engine takes part.
std::vector<int32_t> generate(maskkv_model* m, uint64_t seed, bool llada = true) {
  maskkv_generate_options o;
  maskkv_generate_default_options(&o);
  o.gen_length = 32;
  o.steps = 16;
  o.block_length = llada ? 16 : 0;
  o.temperature = 0.8f;
  o.seed = seed;
  o.policy = MASKKV_POLICY_SNAPKV;
  o.budget = 24;
  std::vector<int32_t> prompt;
  for (int i = 0; i < 48; ++i) prompt.push_back((i * 11 + 5) % 300);
  std::vector<int32_t> out(64);
  size_t n = 0;
  EXPECT_EQ(maskkv_generate(m, prompt.data(), prompt.size(), &o, out.data(), out.size(), &n, nullptr), MASKKV_OK)
      << maskkv_last_error();
  out.resize(n);
  return out;
}

}  // namespace

TEST(Determinism, SameSeedSameTokensUnderParallelLoad) {
  // Four pool threads on whatever cores there are: more threads than cores under load.
  maskkv_model* m = load("llada_f32", 4);
  ASSERT_NE(m, nullptr);
  const std::vector<int32_t> want = generate(m, 1234);
  ASSERT_EQ(want.size(), 32u);
  std::atomic<bool> stop{false};
  std::vector<std::thread> load_threads;
  for (int t = 0; t < 2; ++t)
    load_threads.emplace_back([&, t] {
      maskkv_model* other = load(t ? "dream_f32" : "llada_bf16", 3);
      while (other && !stop.load() && !generate(other, 7 + t, t == 0).empty()) {
      }
      maskkv_model_free(other);
    });
  for (int run = 0; run < 50; ++run) EXPECT_EQ(generate(m, 1234), want) << "run " << run;
  stop.store(true);
  for (auto& t : load_threads) t.join();
  maskkv_model_free(m);
}
