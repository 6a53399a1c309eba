// Concurrency through the C ABI: one model handle shared by 8 threads, each with its own
// session and its own options (policies none/full/maskkv offline and online/snapkv/pyramidkv,
// both samplers, Fast-dLLM rules, temperatures and seeds), must give exactly the tokens that
// the same runs give one by one. Cancellation from another thread stops a session at the next
// step boundary. Runs in every build and under TSan (tools/sanitize.sh tsan).
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "maskkv.h"

namespace {

const std::string kFixtures = MASKKV_FIXTURES;

struct Model {
  maskkv_model* m = nullptr;
  explicit Model(const std::string& name, int threads = 2) {
    maskkv_model_options o;
    maskkv_model_default_options(&o);
    o.n_threads = threads;
    EXPECT_EQ(maskkv_model_load((kFixtures + "/models/" + name).c_str(), &o, &m), MASKKV_OK) << maskkv_last_error();
  }
  ~Model() { maskkv_model_free(m); }
};

// A profile calibrated on `m` (for MASKKV_POLICY_MASKKV offline).
maskkv_profile* calibrate(maskkv_model* m) {
  maskkv_calibrator* cal = nullptr;
  EXPECT_EQ(maskkv_calibrator_begin(m, 16, &cal), MASKKV_OK) << maskkv_last_error();
  for (int s = 0; s < 2; ++s) {
    std::vector<int32_t> prompt;
    for (int i = 0; i < 24; ++i) prompt.push_back((i * 7 + s * 13) % 300);
    EXPECT_EQ(maskkv_calibrator_add(cal, prompt.data(), prompt.size()), MASKKV_OK) << maskkv_last_error();
  }
  char path[] = "/tmp/maskkv-conc-profile-XXXXXX";
  close(mkstemp(path));
  EXPECT_EQ(maskkv_calibrator_save(cal, path), MASKKV_OK) << maskkv_last_error();
  maskkv_calibrator_free(cal);
  maskkv_profile* p = nullptr;
  EXPECT_EQ(maskkv_profile_load(m, path, &p), MASKKV_OK) << maskkv_last_error();
  std::remove(path);
  return p;
}

struct Job {
  const char* what;
  maskkv_generate_options opt;
  std::vector<int32_t> prompt;
};

std::vector<Job> jobs(const maskkv_profile* profile) {
  std::vector<Job> out;
  auto add = [&](const char* what, int prompt_len, int seed_base, auto&& edit) {
    Job j;
    j.what = what;
    maskkv_generate_default_options(&j.opt);
    j.opt.gen_length = 24;
    j.opt.block_length = 8;
    j.opt.steps = 12;
    for (int i = 0; i < prompt_len; ++i) j.prompt.push_back((i * 31 + seed_base) % 300);
    edit(j.opt);
    out.push_back(j);
  };
  add("none, LLaDA low-confidence", 40, 1, [](maskkv_generate_options&) {});
  add("full (dLLM-Cache), random remasking, T=0.8", 48, 2, [](maskkv_generate_options& o) {
    o.policy = MASKKV_POLICY_FULL;
    o.remasking = MASKKV_REMASK_RANDOM;
    o.temperature = 0.8f;
    o.seed = 11;
  });
  add("maskkv offline profile, threshold rule", 64, 3, [&](maskkv_generate_options& o) {
    o.policy = MASKKV_POLICY_MASKKV;
    o.profile = profile;
    o.budget = 16;
    o.threshold = 0.5f;
  });
  add("maskkv online, T=0.5", 56, 4, [](maskkv_generate_options& o) {
    o.policy = MASKKV_POLICY_MASKKV;
    o.online = 1;
    o.budget = 12;
    o.temperature = 0.5f;
    o.seed = 12345;
  });
  add("snapkv, Dream sampler entropy, top_p", 60, 5, [](maskkv_generate_options& o) {
    o.policy = MASKKV_POLICY_SNAPKV;
    o.budget = 20;
    o.window = 8;
    o.sampler = MASKKV_SAMPLER_DREAM;
    o.block_length = 0;
    o.alg = MASKKV_ALG_ENTROPY;
    o.temperature = 0.7f;
    o.top_p = 0.9f;
    o.seed = 99;
  });
  add("pyramidkv, factor rule", 52, 6, [](maskkv_generate_options& o) {
    o.policy = MASKKV_POLICY_PYRAMIDKV;
    o.budget = 16;
    o.factor = 1.0f;
  });
  add("none, classifier-free guidance, T=1", 32, 7, [](maskkv_generate_options& o) {
    o.cfg_scale = 1.0f;
    o.temperature = 1.0f;
    o.seed = 7;
  });
  add("none, Dream sampler maskgit_plus, top_k", 36, 8, [](maskkv_generate_options& o) {
    o.sampler = MASKKV_SAMPLER_DREAM;
    o.block_length = 0;
    o.alg = MASKKV_ALG_MASKGIT_PLUS;
    o.temperature = 0.9f;
    o.top_k = 20;
    o.seed = 3;
  });
  return out;
}

struct Result {
  maskkv_status status = -1;
  std::string error;
  std::vector<int32_t> tokens;
  int32_t steps = 0;
};

Result run(maskkv_model* m, const Job& j) {
  Result r;
  maskkv_session* s = nullptr;
  r.status = maskkv_session_begin(m, j.prompt.data(), j.prompt.size(), &j.opt, &s);
  if (r.status != MASKKV_OK) {
    r.error = maskkv_last_error();
    return r;
  }
  for (int32_t done = 0; !done;) {
    r.status = maskkv_session_step(s, &done);
    if (r.status != MASKKV_OK) {
      r.error = maskkv_last_error();
      break;
    }
  }
  r.tokens.resize(static_cast<size_t>(j.opt.gen_length));
  size_t n = 0;
  maskkv_session_tokens(s, r.tokens.data(), r.tokens.size(), &n);
  maskkv_stats st;
  st.size = sizeof(st);
  maskkv_session_get_stats(s, &st);
  r.steps = st.steps;
  maskkv_session_free(s);
  return r;
}

TEST(Concurrency, EightSessionsOnOneModelEqualTheRunsOneByOne) {
  Model model("llada_f32");
  ASSERT_NE(model.m, nullptr);
  maskkv_profile* profile = calibrate(model.m);
  const std::vector<Job> js = jobs(profile);
  ASSERT_EQ(js.size(), 8u);

  std::vector<Result> alone;
  for (const Job& j : js) {
    alone.push_back(run(model.m, j));
    ASSERT_EQ(alone.back().status, MASKKV_OK) << j.what << ": " << alone.back().error;
  }
  for (int round = 0; round < 2; ++round) {
    std::vector<Result> together(js.size());
    std::vector<std::thread> threads;
    std::atomic<int> ready{0};
    for (size_t i = 0; i < js.size(); ++i)
      threads.emplace_back([&, i] {
        ++ready;
        while (ready.load() < static_cast<int>(js.size())) std::this_thread::yield();  // start together
        together[i] = run(model.m, js[i]);
      });
    for (auto& t : threads) t.join();
    for (size_t i = 0; i < js.size(); ++i) {
      EXPECT_EQ(together[i].status, MASKKV_OK) << js[i].what << ": " << together[i].error;
      EXPECT_EQ(together[i].tokens, alone[i].tokens) << "round " << round << ": " << js[i].what;
      EXPECT_EQ(together[i].steps, alone[i].steps) << js[i].what;
    }
  }
  maskkv_profile_free(profile);
}

TEST(Concurrency, SessionsOnTwoModelsAndLoadsInParallel) {
  // Models loaded, used and freed on several threads at once (each its own thread pool).
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      Model m(t % 2 ? "dream_f32" : "llada_bf16", 1 + t % 2);
      if (!m.m) {
        ++failures;
        return;
      }
      Job j;
      j.what = "small";
      maskkv_generate_default_options(&j.opt);
      j.opt.gen_length = 8;
      j.opt.seed = static_cast<uint64_t>(t);
      j.opt.temperature = 0.5f;
      j.prompt = {1, 2, 3, 4, 5};
      Result a = run(m.m, j), b = run(m.m, j);
      if (a.status != MASKKV_OK || a.tokens != b.tokens) ++failures;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(Concurrency, LastErrorIsPerThread) {
  std::atomic<int> stage{0};
  std::string seen_a;
  std::thread a([&] {
    maskkv_model* m = nullptr;
    EXPECT_EQ(maskkv_model_load("/no/such/dir/a", nullptr, &m), MASKKV_ERR_IO);
    stage = 1;
    while (stage.load() < 2) std::this_thread::yield();
    seen_a = maskkv_last_error();
  });
  std::thread b([&] {
    while (stage.load() < 1) std::this_thread::yield();
    maskkv_model* m = nullptr;
    EXPECT_EQ(maskkv_model_load("/no/such/dir/b", nullptr, &m), MASKKV_ERR_IO);
    int32_t p = 0;
    EXPECT_EQ(maskkv_policy_from_name("full", &p), MASKKV_OK);  // clears b's own message only
    stage = 2;
  });
  a.join();
  b.join();
  EXPECT_NE(seen_a.find("/no/such/dir/a"), std::string::npos) << seen_a;
}

// A session stepped on one thread and cancelled from another stops at the next step boundary:
// at most the step in flight when cancel returned completes, then MASKKV_ERR_CANCELLED. The two
// threads meet at fixed points so that the outcome does not depend on scheduling: the cancel
// call races only with the fourth step, and the stepper does not start a fifth before cancel
// has returned (the fourth either sees the cancel and fails, or completes and the fifth fails).
TEST(Cancellation, FromAnotherThreadStopsAtTheNextStep) {
  Model model("llada_f32");
  ASSERT_NE(model.m, nullptr);
  maskkv_generate_options o;
  maskkv_generate_default_options(&o);
  o.gen_length = 128;
  o.steps = 128;
  o.block_length = 32;
  std::vector<int32_t> prompt(64);
  for (size_t i = 0; i < prompt.size(); ++i) prompt[i] = static_cast<int32_t>(i * 3 % 300);
  maskkv_session* s = nullptr;
  ASSERT_EQ(maskkv_session_begin(model.m, prompt.data(), prompt.size(), &o, &s), MASKKV_OK) << maskkv_last_error();

  std::atomic<int> steps_done{0};
  std::atomic<bool> go{false}, cancel_returned{false};
  int steps_when_cancel_returned = -1;
  maskkv_status final_status = MASKKV_OK;
  std::string final_message;
  std::thread stepper([&] {
    for (int32_t done = 0; !done;) {
      if (steps_done.load() == 3) go.store(true);
      if (steps_done.load() == 4)
        while (!cancel_returned.load()) std::this_thread::yield();
      maskkv_status st = maskkv_session_step(s, &done);
      if (st != MASKKV_OK) {
        final_status = st;
        final_message = maskkv_last_error();
        return;
      }
      ++steps_done;
    }
  });
  std::thread canceller([&] {
    while (!go.load()) std::this_thread::yield();
    EXPECT_EQ(maskkv_session_cancel(s), MASKKV_OK);
    steps_when_cancel_returned = steps_done.load();
    cancel_returned.store(true);
  });
  canceller.join();
  stepper.join();
  EXPECT_EQ(final_status, MASKKV_ERR_CANCELLED) << final_message;
  EXPECT_NE(final_message.find("cancelled"), std::string::npos) << final_message;
  EXPECT_GE(steps_when_cancel_returned, 3);
  EXPECT_LE(steps_done.load() - steps_when_cancel_returned, 1) << "steps completed after cancel returned";
  EXPECT_TRUE(steps_done.load() == 3 || steps_done.load() == 4) << steps_done.load();
  // The session stays cancelled and readable; freeing it is fine.
  int32_t done = 0;
  EXPECT_EQ(maskkv_session_step(s, &done), MASKKV_ERR_CANCELLED);
  std::vector<int32_t> tokens(128);
  size_t n = 0;
  EXPECT_EQ(maskkv_session_tokens(s, tokens.data(), tokens.size(), &n), MASKKV_OK);
  EXPECT_EQ(n, 128u);
  maskkv_session_free(s);
}

TEST(Cancellation, BeforeTheFirstStepAndOnEveryPolicy) {
  Model model("llada_f32");
  ASSERT_NE(model.m, nullptr);
  for (int32_t policy : {MASKKV_POLICY_NONE, MASKKV_POLICY_FULL, MASKKV_POLICY_SNAPKV}) {
    maskkv_generate_options o;
    maskkv_generate_default_options(&o);
    o.gen_length = 16;
    o.policy = policy;
    if (policy == MASKKV_POLICY_SNAPKV) {  // a budget and window act only where K/V is evicted
      o.budget = 8;
      o.window = 4;
    }
    const int32_t prompt[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    maskkv_session* s = nullptr;
    ASSERT_EQ(maskkv_session_begin(model.m, prompt, 12, &o, &s), MASKKV_OK) << maskkv_last_error();
    std::thread([&] { EXPECT_EQ(maskkv_session_cancel(s), MASKKV_OK); }).join();
    int32_t done = 0;
    EXPECT_EQ(maskkv_session_step(s, &done), MASKKV_ERR_CANCELLED) << maskkv_policy_name(policy);
    EXPECT_EQ(done, 0);
    maskkv_session_free(s);
  }
  EXPECT_EQ(maskkv_session_cancel(nullptr), MASKKV_ERR_INVALID_ARGUMENT);
}

}  // namespace
