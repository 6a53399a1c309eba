// Resource limits and unsupported hardware through the C ABI.
//  - kv_memory_limit: a session whose K/V + feature cache could exceed the cap fails at
//    maskkv_session_begin with MASKKV_ERR_OUT_OF_MEMORY (nothing allocated, no session); the
//    smallest cap a policy accepts is one its run then never exceeds (kv_bytes_peak).
//  - MASKKV_BACKEND_CUDA without a usable device (a build without the backend, or no GPU) is
//    MASKKV_ERR_UNSUPPORTED, decided before the model directory is read.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "maskkv.h"
#include "../abi/cuda_usable.h"

namespace {

const std::string kFixtures = MASKKV_FIXTURES;

struct Model {
  maskkv_model* m = nullptr;
  explicit Model(const std::string& name) {
    EXPECT_EQ(maskkv_model_load((kFixtures + "/models/" + name).c_str(), nullptr, &m), MASKKV_OK)
        << maskkv_last_error();
  }
  ~Model() { maskkv_model_free(m); }
};

maskkv_generate_options options_for(int32_t policy, uint64_t limit) {
  maskkv_generate_options o;
  maskkv_generate_default_options(&o);
  o.gen_length = 32;
  o.block_length = 8;
  o.policy = policy;
  o.online = policy == MASKKV_POLICY_MASKKV;
  if (policy != MASKKV_POLICY_NONE && policy != MASKKV_POLICY_FULL) o.budget = 24;
  o.kv_memory_limit = limit;
  return o;
}

std::vector<int32_t> prompt() {
  std::vector<int32_t> p(96);
  for (size_t i = 0; i < p.size(); ++i) p[i] = static_cast<int32_t>(i * 17 % 300);
  return p;
}

TEST(KvMemoryLimit, BelowTheNeedFailsAtBeginWithOutOfMemory) {
  Model model("llada_f32");
  ASSERT_NE(model.m, nullptr);
  const auto p = prompt();
  for (int32_t policy = MASKKV_POLICY_NONE; policy <= MASKKV_POLICY_ADAKV; ++policy) {
    maskkv_generate_options o = options_for(policy, 1);
    maskkv_session* s = reinterpret_cast<maskkv_session*>(&o);
    EXPECT_EQ(maskkv_session_begin(model.m, p.data(), p.size(), &o, &s), MASKKV_ERR_OUT_OF_MEMORY)
        << maskkv_policy_name(policy);
    EXPECT_EQ(s, nullptr);
    EXPECT_NE(std::strstr(maskkv_last_error(), "kv_memory_limit"), nullptr) << maskkv_last_error();
    EXPECT_NE(std::strstr(maskkv_last_error(), maskkv_policy_name(policy)), nullptr) << maskkv_last_error();
    // The one-shot call checks the same limit before any work.
    std::vector<int32_t> out(32);
    size_t n = 0;
    EXPECT_EQ(maskkv_generate(model.m, p.data(), p.size(), &o, out.data(), out.size(), &n, nullptr),
              MASKKV_ERR_OUT_OF_MEMORY);
  }
}

TEST(KvMemoryLimit, TheSmallestAcceptedLimitIsNeverExceeded) {
  Model model("llada_f32");
  ASSERT_NE(model.m, nullptr);
  const auto p = prompt();
  for (int32_t policy = MASKKV_POLICY_NONE; policy <= MASKKV_POLICY_ADAKV; ++policy) {
    // Binary search of the smallest cap maskkv_session_begin accepts.
    uint64_t lo = 1, hi = uint64_t{1} << 40;
    while (lo < hi) {
      const uint64_t mid = lo + (hi - lo) / 2;
      maskkv_generate_options o = options_for(policy, mid);
      maskkv_session* s = nullptr;
      const maskkv_status st = maskkv_session_begin(model.m, p.data(), p.size(), &o, &s);
      ASSERT_TRUE(st == MASKKV_OK || st == MASKKV_ERR_OUT_OF_MEMORY) << maskkv_last_error();
      maskkv_session_free(s);
      if (st == MASKKV_OK) hi = mid; else lo = mid + 1;
    }
    maskkv_generate_options o = options_for(policy, lo);
    maskkv_session* s = nullptr;
    ASSERT_EQ(maskkv_session_begin(model.m, p.data(), p.size(), &o, &s), MASKKV_OK) << maskkv_last_error();
    for (int32_t done = 0; !done;) ASSERT_EQ(maskkv_session_step(s, &done), MASKKV_OK) << maskkv_last_error();
    maskkv_stats st;
    st.size = sizeof(st);
    ASSERT_EQ(maskkv_session_get_stats(s, &st), MASKKV_OK);
    EXPECT_GT(st.kv_bytes_peak, 0u) << maskkv_policy_name(policy);
    EXPECT_LE(st.kv_bytes_peak, lo) << maskkv_policy_name(policy) << ": the run exceeded the limit it was admitted under";
    maskkv_session_free(s);
  }
}

TEST(KvMemoryLimit, ZeroMeansUnlimited) {
  Model model("llada_f32");
  ASSERT_NE(model.m, nullptr);
  const auto p = prompt();
  maskkv_generate_options o = options_for(MASKKV_POLICY_FULL, 0);
  std::vector<int32_t> out(32);
  size_t n = 0;
  EXPECT_EQ(maskkv_generate(model.m, p.data(), p.size(), &o, out.data(), out.size(), &n, nullptr), MASKKV_OK)
      << maskkv_last_error();
}

TEST(Backend, CudaWithoutADeviceIsUnsupported) {
  if (testabi::cuda_usable()) GTEST_SKIP() << "a CUDA device is usable here: nothing to refuse";
  maskkv_model_options o;
  maskkv_model_default_options(&o);
  o.backend = MASKKV_BACKEND_CUDA;
  maskkv_model* m = reinterpret_cast<maskkv_model*>(&o);
  EXPECT_EQ(maskkv_model_load((kFixtures + "/models/llada_f32").c_str(), &o, &m), MASKKV_ERR_UNSUPPORTED);
  EXPECT_EQ(m, nullptr);
  EXPECT_NE(std::strstr(maskkv_last_error(), "CUDA"), nullptr) << maskkv_last_error();
  // The check comes before the directory is read: no I/O error masks it.
  EXPECT_EQ(maskkv_model_load("/no/such/model", &o, &m), MASKKV_ERR_UNSUPPORTED);
}

TEST(Backend, AutoAndCpuRunOnTheCpuWithoutADevice) {
  const bool cuda = testabi::cuda_usable();
  for (int32_t b : {MASKKV_BACKEND_AUTO, MASKKV_BACKEND_CPU}) {
    maskkv_model_options o;
    maskkv_model_default_options(&o);
    o.backend = b;
    maskkv_model* m = nullptr;
    ASSERT_EQ(maskkv_model_load((kFixtures + "/models/llada_f32").c_str(), &o, &m), MASKKV_OK) << maskkv_last_error();
    maskkv_model_info info;
    info.size = sizeof(info);
    ASSERT_EQ(maskkv_model_get_info(m, &info), MASKKV_OK);
    EXPECT_EQ(info.backend, b == MASKKV_BACKEND_AUTO && cuda ? MASKKV_BACKEND_CUDA : MASKKV_BACKEND_CPU);
    maskkv_model_free(m);
  }
}

}  // namespace
