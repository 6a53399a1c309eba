// MaskKV's speed and memory claims on one GPU (docs/performance.md): whole generations under
// each caching policy at several prompt lengths, one model load for the whole grid. Prints a
// row per configuration as it finishes (and appends it to the CSV), then a table of ratios to
// `none`. With --ops it first times the operations of one full pass (GEMMs, attention) and
// reports achieved TFLOP/s.
//
//   bench_gpu MODEL_DIR [--backend cuda|cpu] [--lengths 2048,8192,16384,32768] [--gens 32,128]
//             [--policies none,full,maskkv,snapkv] [--budget 256] [--block 8]
//             [--none-max-prompt N] [--csv FILE] [--ops]
//
// Settings follow the paper's efficiency runs: steps = gen_length, block 8, RoPE scaling picked
// for the length (LongLLaDA), dLLM-Cache Kp 50 / Kr 5 / rho 0.25 for `full`, MaskKV with a
// profile calibrated in-process on one 2048-token prompt.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"
#include "engine/calibrator.h"
#include "engine/session.h"
#include "model/model.h"

using namespace maskkv;

namespace {

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  size_t b = 0;
  while (b <= s.size()) {
    const size_t e = s.find(',', b);
    out.push_back(s.substr(b, e == std::string::npos ? std::string::npos : e - b));
    if (e == std::string::npos) break;
    b = e + 1;
  }
  return out;
}

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

std::vector<int32_t> prompt_ids(const ModelSpec& s, int n, int salt) {
  std::vector<int32_t> ids(n);
  for (int i = 0; i < n; ++i) ids[i] = static_cast<int32_t>((int64_t(i) * 7919 + 13 + salt) % (s.vocab_size - 8));
  return ids;
}

struct Result {
  std::string policy;
  int prompt = 0, gen = 0;
  double seconds = 0, prefill = 0;
  uint64_t gpu_peak = 0, kv_peak = 0;
};

// Times f (after one warm-up call) on the backend, in seconds per call.
template <class F>
double time_op(Backend& be, int reps, F&& f) {
  f();
  be.synchronize();
  const double t0 = now();
  for (int i = 0; i < reps; ++i) f();
  be.synchronize();
  return (now() - t0) / reps;
}

// The GEMMs and the attention of one full pass at n tokens, timed one by one.
void time_ops(const Model& m, int n) {
  const ModelSpec& s = m.spec();
  Backend& be = m.backend();
  const LayerWeights& L = m.weights().layers[0];
  const int64_t d = s.d_model, dq = int64_t(s.n_heads) * s.head_dim, f = s.mlp_hidden;
  Buf<float> x(be, n * std::max(d, f)), y(be, n * std::max(dq, f)), q(be, n * dq), k(be, n * dq), v(be, n * dq);
  std::vector<float> zeros(size_t(n) * std::max(d, f), 0.01f);
  be.upload(x.data(), zeros.data(), zeros.size() * sizeof(float));
  be.upload(q.data(), zeros.data(), size_t(n) * dq * sizeof(float));
  be.upload(k.data(), zeros.data(), size_t(n) * dq * sizeof(float));
  be.upload(v.data(), zeros.data(), size_t(n) * dq * sizeof(float));
  std::printf("\noperations of one full pass at %d tokens (layer 0 weights, %s):\n", n, be.name());
  std::printf("| operation | shape | ms | TFLOP/s |\n|---|---|---:|---:|\n");
  struct G {
    const char* name;
    const WeightView* w;
  } gemms[] = {{"q_proj", &L.wq}, {"attn_out", &L.wo}, {"ff_proj (gate)", &L.w_gate}, {"ff_out (down)", &L.w_down}};
  for (const G& g : gemms) {
    const double t = time_op(be, 5, [&] { be.linear(x.data(), n, *g.w, nullptr, y.data()); });
    const double flops = 2.0 * n * g.w->rows * g.w->cols;
    std::printf("| %s | %d x %lld x %lld | %.3f | %.1f |\n", g.name, n, static_cast<long long>(g.w->rows),
                static_cast<long long>(g.w->cols), t * 1e3, flops / t / 1e12);
  }
  const double t = time_op(be, 2, [&] {
    be.attention(q.data(), k.data(), v.data(), n, n, s.n_heads, s.n_kv_heads, s.head_dim, y.data(), nullptr, 0);
  });
  const double flops = 4.0 * double(n) * n * dq;
  std::printf("| attention | %d queries x %d keys x %d heads x %d | %.3f | %.1f |\n", n, n, s.n_heads, s.head_dim,
              t * 1e3, flops / t / 1e12);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL_DIR [--backend cuda|cpu] [--lengths L,...] [--gens G,...] "
                         "[--policies P,...] [--budget B] [--block N] [--none-max-prompt N] [--csv FILE] [--ops]\n",
                 argv[0]);
    return 2;
  }
  std::vector<std::string> lengths = split("2048,8192,16384,32768"), gens = split("32,128"),
                           policies = split("none,full,maskkv,snapkv");
  std::string backend = "cuda", csv_path = "bench-gpu.csv";
  int budget = 256, block = 8, none_max = 1 << 30;
  bool ops = false;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--backend") backend = next();
    else if (a == "--lengths") lengths = split(next());
    else if (a == "--gens") gens = split(next());
    else if (a == "--policies") policies = split(next());
    else if (a == "--budget") budget = std::atoi(next().c_str());
    else if (a == "--block") block = std::atoi(next().c_str());
    else if (a == "--none-max-prompt") none_max = std::atoi(next().c_str());
    else if (a == "--csv") csv_path = next();
    else if (a == "--ops") ops = true;
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  ModelOptions mo;
  mo.backend = backend == "cpu" ? BackendKind::cpu : BackendKind::cuda;
  const double t_load = now();
  std::shared_ptr<Model> model;
  try {
    model = Model::load(argv[1], mo);
  } catch (const Error& e) {
    std::fprintf(stderr, "bench_gpu: %s\n", e.what());
    return 1;
  }
  const ModelSpec& s = model->spec();
  Backend& be = model->backend();
  const uint64_t weights = be.memory().in_use;
  std::printf("model %s: %d layers, d_model %d, %d/%d heads, mlp %d, vocab %d, %.2fB params, %s weights\n", argv[1],
              s.n_layers, s.d_model, s.n_heads, s.n_kv_heads, s.mlp_hidden, s.vocab_size, s.n_params() / 1e9,
              dtype_name(model->weights().dtype));
  std::printf("backend %s, loaded in %.1f s, %.2f GiB resident\n", be.name(), now() - t_load, weights / 1073741824.0);
  std::fflush(stdout);
  if (ops)
    for (const auto& n : lengths) time_ops(*model, std::atoi(n.c_str()));

  // MaskKV's offline profile: one calibration prompt.
  Calibrator cal(model, 32, 0.0);
  cal.add_sample(prompt_ids(s, 2048, 1));
  auto profile = std::make_shared<Profile>(cal.profile());

  FILE* csv = std::fopen(csv_path.c_str(), "w");
  if (!csv) {
    std::fprintf(stderr, "bench_gpu: cannot write %s\n", csv_path.c_str());
    return 1;
  }
  std::fprintf(csv, "policy,budget,prompt,gen,seconds,tokens_per_s,prefill_s,gpu_peak_bytes,gpu_peak_minus_weights,"
                    "kv_bytes_peak\n");
  std::printf("\n| policy | prompt | gen | seconds | tokens/s | prefill s | GPU peak GiB | K/V peak MiB |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
  std::fflush(stdout);
  std::vector<Result> results;
  bool warmed = false;
  for (const auto& gs : gens)
    for (const auto& ls : lengths)
      for (const auto& p : policies) {
        const int gen = std::atoi(gs.c_str()), n = std::atoi(ls.c_str());
        if (p == "none" && n > none_max) continue;
        GenerateOptions o;
        o.gen_length = gen;
        o.steps = gen;
        o.block_length = std::min(block, gen);
        o.rope_scaling = 0;  // picked for the length
        o.cache.policy = parse_policy(p);
        o.cache.budget = budget;
        if (o.cache.policy == Policy::maskkv) o.cache.profile = profile;
        const auto ids = prompt_ids(s, n, 0);
        if (!warmed) {  // cuBLAS heuristics, pool growth
          GenerateOptions w = o;
          w.gen_length = w.steps = w.block_length = 8;
          Session ws(model, prompt_ids(s, 256, 2), w);
          while (!ws.step()) {
          }
          warmed = true;
        }
        be.synchronize();
        be.reset_peak();
        Result r;
        r.policy = p;
        r.prompt = n;
        r.gen = gen;
        try {
          const double t0 = now();
          Session session(model, ids, o);
          while (!session.step()) {
          }
          be.synchronize();
          r.seconds = now() - t0;
          const SessionStats st = session.stats();
          r.prefill = st.prefill_seconds;
          r.kv_peak = st.kv_bytes_peak;
        } catch (const Error& e) {
          std::printf("| %s | %d | %d | failed: %s |\n", p.c_str(), n, gen, e.what());
          std::fflush(stdout);
          continue;
        }
        r.gpu_peak = be.memory().peak;
        results.push_back(r);
        std::printf("| %s | %d | %d | %.3f | %.2f | %.3f | %.2f | %.1f |\n", p.c_str(), n, gen, r.seconds,
                    gen / r.seconds, r.prefill, r.gpu_peak / 1073741824.0, r.kv_peak / 1048576.0);
        std::fprintf(csv, "%s,%d,%d,%d,%.4f,%.3f,%.4f,%llu,%llu,%llu\n", p.c_str(), budget, n, gen, r.seconds,
                     gen / r.seconds, r.prefill, static_cast<unsigned long long>(r.gpu_peak),
                     static_cast<unsigned long long>(r.gpu_peak - std::min(r.gpu_peak, weights)),
                     static_cast<unsigned long long>(r.kv_peak));
        std::fflush(stdout);
        std::fflush(csv);
      }
  std::fclose(csv);

  // Ratios to `none` where it ran.
  std::map<std::pair<int, int>, const Result*> none;
  for (const Result& r : results)
    if (r.policy == "none") none[{r.prompt, r.gen}] = &r;
  std::printf("\nratios to none (speed-up = none seconds / policy seconds; memory = 1 - policy peak / none peak):\n");
  std::printf("| policy | prompt | gen | speed-up | GPU peak reduction |\n|---|---:|---:|---:|---:|\n");
  for (const Result& r : results) {
    auto it = none.find({r.prompt, r.gen});
    if (r.policy == "none" || it == none.end()) continue;
    std::printf("| %s | %d | %d | %.2fx | %.1f%% |\n", r.policy.c_str(), r.prompt, r.gen, it->second->seconds / r.seconds,
                100.0 * (1.0 - double(r.gpu_peak) / double(it->second->gpu_peak)));
  }
  return 0;
}
