// One generation under one caching policy on the CPU, timed: prefill, steps after it, the
// whole generation, K/V memory and the process's peak RSS. One configuration per process so
// that peak RSS belongs to it; bench/run_policies.sh drives the grid and prints the table.
//
//   bench_policies MODEL_DIR --policy P --prompt N [--budget B] [--profile FILE] [--gen 32]
//                  [--steps 32] [--block 8] [--threads N] [--weight-type auto|bf16|q8_0|q4_0] [--header]
// (the load's wall time goes to stderr, so that the CSV stays the same for every weight type)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/memory.h"
#include "engine/session.h"
#include "eviction/profile.h"
#include "model/model.h"

using namespace maskkv;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL_DIR --policy P --prompt N [--budget B] [--profile FILE] [--gen N] "
                         "[--steps N] [--block N] [--threads N] [--weight-type T] [--header]\n", argv[0]);
    return 2;
  }
  std::string policy = "none", profile_path;
  int prompt = 1024, budget = 256, gen = 32, steps = 32, block = 8, threads = 0;
  bool header = false;
  WeightType weight_type = WeightType::as_stored;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--policy") policy = next();
    else if (a == "--prompt") prompt = std::atoi(next().c_str());
    else if (a == "--budget") budget = std::atoi(next().c_str());
    else if (a == "--profile") profile_path = next();
    else if (a == "--gen") gen = std::atoi(next().c_str());
    else if (a == "--steps") steps = std::atoi(next().c_str());
    else if (a == "--block") block = std::atoi(next().c_str());
    else if (a == "--threads") threads = std::atoi(next().c_str());
    else if (a == "--header") header = true;
    else if (a == "--weight-type") {
      const std::string t = next();
      if (t == "auto") weight_type = WeightType::as_stored;
      else if (t == "bf16") weight_type = WeightType::bf16;
      else if (t == "q8_0") weight_type = WeightType::q8_0;
      else if (t == "q4_0") weight_type = WeightType::q4_0;
      else {
        std::fprintf(stderr, "--weight-type must be auto, bf16, q8_0 or q4_0, got '%s'\n", t.c_str());
        return 2;
      }
    }
  }
  if (header)
    std::printf("policy,budget,prompt,prefill_s,step_s_after_prefill,generation_s,kv_pairs_kept,kv_bytes_peak,peak_rss_bytes\n");
  ModelOptions mo;
  mo.n_threads = threads;
  mo.weight_type = weight_type;
  const auto load0 = std::chrono::steady_clock::now();
  auto model = Model::load(argv[1], mo);
  std::fprintf(stderr, "load %.1f s (weights %s)\n",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - load0).count(),
               dtype_name(model->weights().dtype));
  const ModelSpec& s = model->spec();
  GenerateOptions o;
  o.gen_length = gen;
  o.steps = steps;
  o.block_length = block;
  o.cache.policy = parse_policy(policy);
  o.cache.budget = budget;
  if (!profile_path.empty())
    o.cache.profile = std::make_shared<Profile>(load_profile(profile_path, model->fingerprint()));
  o.cache.online = o.cache.policy == Policy::maskkv && profile_path.empty();
  if (s.max_seq_len < prompt + gen) o.rope_scaling = 1.0;  // the bench model is made long enough
  std::vector<int32_t> ids(prompt);
  for (int i = 0; i < prompt; ++i) ids[i] = (i * 7919 + 13) % (s.vocab_size - 8);
  Session session(model, ids, o);
  const auto t0 = std::chrono::steady_clock::now();
  session.step();
  const double first = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  while (!session.step()) {
  }
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const SessionStats st = session.stats();
  const int after = st.steps - 1;
  std::printf("%s,%d,%d,%.4f,%.5f,%.4f,%lld,%llu,%llu\n", policy.c_str(), budget, prompt, first,
              after > 0 ? (total - first) / after : 0.0, total, static_cast<long long>(st.kv_pairs_kept),
              static_cast<unsigned long long>(st.kv_bytes_peak), static_cast<unsigned long long>(peak_rss_bytes()));
  return 0;
}
