// The C ABI as a C/C++ program sees it: only maskkv.h, only the shared library.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "maskkv.h"
#include "cuda_usable.h"

namespace {

const std::string kLlada = std::string(MASKKV_FIXTURES) + "/models/llada_f32";

struct Model {
  maskkv_model* m = nullptr;
  Model() { EXPECT_EQ(maskkv_model_load(kLlada.c_str(), nullptr, &m), MASKKV_OK) << maskkv_last_error(); }
  ~Model() { maskkv_model_free(m); }
};

bool contains(const char* haystack, const char* needle) { return std::strstr(haystack, needle) != nullptr; }

}  // namespace

TEST(CApi, VersionMatchesHeader) {
  EXPECT_STREQ(maskkv_version(), "0.1.0");
  EXPECT_EQ(maskkv_version_number(), static_cast<uint32_t>(MASKKV_VERSION_NUMBER));
}

TEST(CApi, StatusNames) {
  EXPECT_STREQ(maskkv_status_name(MASKKV_OK), "MASKKV_OK");
  EXPECT_STREQ(maskkv_status_name(MASKKV_ERR_FORMAT), "MASKKV_ERR_FORMAT");
  EXPECT_STREQ(maskkv_status_name(12345), "MASKKV_ERR_UNKNOWN");
}

TEST(CApi, NullPointersAreErrors) {
  maskkv_model* m = nullptr;
  EXPECT_EQ(maskkv_model_load(nullptr, nullptr, &m), MASKKV_ERR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(maskkv_last_error(), "directory must not be NULL"));
  EXPECT_EQ(maskkv_model_load(kLlada.c_str(), nullptr, nullptr), MASKKV_ERR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(maskkv_last_error(), "out_model"));
  int32_t done = 0;
  EXPECT_EQ(maskkv_session_step(nullptr, &done), MASKKV_ERR_INVALID_ARGUMENT);
  maskkv_session* s = nullptr;
  EXPECT_EQ(maskkv_session_begin(nullptr, nullptr, 0, nullptr, &s), MASKKV_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(maskkv_model_get_info(nullptr, nullptr), MASKKV_ERR_INVALID_ARGUMENT);
  maskkv_model_free(nullptr);
  maskkv_session_free(nullptr);
}

TEST(CApi, LoadFailureNamesTheDirectory) {
  maskkv_model* m = nullptr;
  EXPECT_EQ(maskkv_model_load("/no/such/model", nullptr, &m), MASKKV_ERR_IO);
  EXPECT_EQ(m, nullptr);
  EXPECT_TRUE(contains(maskkv_last_error(), "/no/such/model"));
}

TEST(CApi, TooSmallOptionStructIsRejected) {
  maskkv_model_options o;
  maskkv_model_default_options(&o);
  o.size = 2;
  maskkv_model* m = nullptr;
  EXPECT_EQ(maskkv_model_load(kLlada.c_str(), &o, &m), MASKKV_ERR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(maskkv_last_error(), "maskkv_model_options.size = 2"));

  Model model;
  maskkv_generate_options g;
  maskkv_generate_default_options(&g);
  g.size = 3;
  int32_t prompt[1] = {1};
  maskkv_session* s = nullptr;
  EXPECT_EQ(maskkv_session_begin(model.m, prompt, 1, &g, &s), MASKKV_ERR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(maskkv_last_error(), "maskkv_generate_options.size = 3"));
}

TEST(CApi, OlderSmallerOptionStructKeepsDefaultsForMissingFields) {
  Model model;
  maskkv_generate_options g;
  maskkv_generate_default_options(&g);
  g.gen_length = 8;
  g.size = offsetof(maskkv_generate_options, steps);  // an "old" caller knowing only gen_length
  int32_t prompt[2] = {1, 2}, out[8];
  size_t n = 0;
  ASSERT_EQ(maskkv_generate(model.m, prompt, 2, &g, out, 8, &n, nullptr), MASKKV_OK) << maskkv_last_error();
  EXPECT_EQ(n, 8u);
}

TEST(CApi, ModelInfo) {
  Model model;
  maskkv_model_info info;
  info.size = sizeof(info);
  ASSERT_EQ(maskkv_model_get_info(model.m, &info), MASKKV_OK);
  EXPECT_EQ(info.family, MASKKV_FAMILY_LLADA);
  EXPECT_EQ(info.d_model, info.n_heads * info.head_dim);
  EXPECT_GT(info.n_params, 0u);
  // The default backend is auto: CUDA where a device is usable.
  EXPECT_EQ(info.backend, testabi::cuda_usable() ? MASKKV_BACKEND_CUDA : MASKKV_BACKEND_CPU);
}

TEST(CApi, StreamingEqualsOneShot) {
  Model model;
  maskkv_generate_options g;
  maskkv_generate_default_options(&g);
  g.gen_length = 16;
  g.steps = 8;
  g.block_length = 8;
  int32_t prompt[3] = {3, 1, 4};
  std::vector<int32_t> oneshot(16);
  size_t n = 0;
  maskkv_stats st;
  st.size = sizeof(st);
  ASSERT_EQ(maskkv_generate(model.m, prompt, 3, &g, oneshot.data(), 16, &n, &st), MASKKV_OK);
  EXPECT_EQ(st.steps, 8);

  maskkv_session* s = nullptr;
  ASSERT_EQ(maskkv_session_begin(model.m, prompt, 3, &g, &s), MASKKV_OK);
  int32_t done = 0;
  int steps = 0;
  while (!done) {
    ASSERT_EQ(maskkv_session_step(s, &done), MASKKV_OK);
    ++steps;
  }
  EXPECT_EQ(steps, 8);
  // Size query: NULL buffer reports the size and BUFFER_TOO_SMALL.
  size_t need = 0;
  EXPECT_EQ(maskkv_session_tokens(s, nullptr, 0, &need), MASKKV_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(need, 16u);
  std::vector<int32_t> streamed(need);
  ASSERT_EQ(maskkv_session_tokens(s, streamed.data(), need, &need), MASKKV_OK);
  EXPECT_EQ(streamed, oneshot);
  maskkv_session_free(s);
}

TEST(CApi, BadOptionsNameTheProblem) {
  Model model;
  maskkv_generate_options g;
  maskkv_generate_default_options(&g);
  g.gen_length = 10;
  g.block_length = 4;
  int32_t prompt[1] = {1};
  maskkv_session* s = nullptr;
  EXPECT_EQ(maskkv_session_begin(model.m, prompt, 1, &g, &s), MASKKV_ERR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(maskkv_last_error(), "block_length 4"));
  maskkv_generate_default_options(&g);
  g.alg = 99;
  EXPECT_EQ(maskkv_session_begin(model.m, prompt, 1, &g, &s), MASKKV_ERR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(maskkv_last_error(), "alg = 99"));
  int32_t bad[1] = {1 << 20};
  maskkv_generate_default_options(&g);
  EXPECT_EQ(maskkv_session_begin(model.m, bad, 1, &g, &s), MASKKV_ERR_OUT_OF_RANGE);
}

TEST(CApi, CudaRequestWithoutCudaIsAClearError) {
  if (testabi::cuda_usable()) GTEST_SKIP() << "a CUDA device is usable here: nothing to refuse";
  maskkv_model_options o;
  maskkv_model_default_options(&o);
  o.backend = MASKKV_BACKEND_CUDA;
  maskkv_model* m = nullptr;
  EXPECT_EQ(maskkv_model_load(kLlada.c_str(), &o, &m), MASKKV_ERR_UNSUPPORTED);
  EXPECT_TRUE(contains(maskkv_last_error(), "cuda"));
}

TEST(CApi, LastErrorIsPerThread) {
  maskkv_model* m = nullptr;
  EXPECT_NE(maskkv_model_load("/no/such/model", nullptr, &m), MASKKV_OK);
  std::string other;
  std::thread([&] { other = maskkv_last_error(); }).join();
  EXPECT_EQ(other, "");
  EXPECT_TRUE(contains(maskkv_last_error(), "/no/such/model"));
}

TEST(CApi, CancelFromAnotherThread) {
  Model model;
  maskkv_generate_options g;
  maskkv_generate_default_options(&g);
  g.gen_length = 32;
  int32_t prompt[1] = {1};
  maskkv_session* s = nullptr;
  ASSERT_EQ(maskkv_session_begin(model.m, prompt, 1, &g, &s), MASKKV_OK);
  int32_t done = 0;
  ASSERT_EQ(maskkv_session_step(s, &done), MASKKV_OK);
  std::thread([&] { maskkv_session_cancel(s); }).join();
  EXPECT_EQ(maskkv_session_step(s, &done), MASKKV_ERR_CANCELLED);
  maskkv_session_free(s);
}
