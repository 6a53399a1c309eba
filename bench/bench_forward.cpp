// Vanilla denoising cost on the CPU: the whole sequence (prompt + response) through the model at
// every step, as LLaDA's reference generate() does. Prints per-step time, achieved GFLOP/s and
// peak RSS per prompt length.
//
//   bench_forward MODEL_DIR [--lengths 256,512,1024,2048,4096] [--steps 2] [--gen 32]
//                 [--threads N] [--csv FILE]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/memory.h"
#include "engine/session.h"
#include "model/model.h"

using namespace maskkv;

namespace {

std::vector<int> parse_list(const char* s) {
  std::vector<int> out;
  for (const char* p = s; *p;) {
    out.push_back(std::atoi(p));
    while (*p && *p != ',') ++p;
    if (*p == ',') ++p;
  }
  return out;
}

// FLOPs of one full forward over n tokens with `rows` LM-head rows.
double forward_flops(const ModelSpec& s, double n, double rows) {
  const double d = s.d_model, q = double(s.n_heads) * s.head_dim, kv = double(s.n_kv_heads) * s.head_dim;
  const double linear = 2.0 * n * (d * q + 2 * d * kv + q * d + 3.0 * d * s.mlp_hidden);
  const double attention = 4.0 * n * n * q;
  return s.n_layers * (linear + attention) + 2.0 * rows * d * s.vocab_size;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL_DIR [--lengths L1,L2,...] [--steps N] [--gen N] [--threads N] [--csv FILE]\n", argv[0]);
    return 2;
  }
  std::vector<int> lengths{256, 512, 1024, 2048, 4096};
  int steps = 2, gen = 32, threads = 0;
  const char* csv_path = nullptr;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--lengths")) lengths = parse_list(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--steps")) steps = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--gen")) gen = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--csv")) csv_path = argv[i + 1];
  }
  ModelOptions mo;
  mo.n_threads = threads;
  auto model = Model::load(argv[1], mo);
  const ModelSpec& s = model->spec();
  std::printf("model %s: %d layers, d_model %d, %d heads, mlp %d, vocab %d, %.1fM params, %s weights, %d threads\n",
              argv[1], s.n_layers, s.d_model, s.n_heads, s.mlp_hidden, s.vocab_size, s.n_params() / 1e6,
              dtype_name(model->weights().dtype), model->backend().n_threads());
  std::printf("vanilla denoising (whole sequence every step), gen_length %d, block %d, %d timed steps\n\n", gen, gen, steps);
  std::printf("| prompt | sequence | s/step | GFLOP/step | GFLOP/s | peak RSS MiB |\n");
  std::printf("|-------:|---------:|-------:|-----------:|--------:|-------------:|\n");
  FILE* csv = csv_path ? std::fopen(csv_path, "w") : nullptr;
  if (csv) std::fprintf(csv, "prompt,sequence,seconds_per_step,gflop_per_step,gflops,peak_rss_bytes\n");
  for (int n : lengths) {
    std::vector<int32_t> prompt(n);
    for (int i = 0; i < n; ++i) prompt[i] = (i * 7919) % (s.vocab_size - 8);
    GenerateOptions o;
    o.gen_length = gen;
    o.steps = gen;
    o.block_length = gen;
    Session session(model, prompt, o);
    session.step();  // warm-up: first touch of the weights and buffers
    double total = 0;
    double flops = 0;
    for (int k = 0; k < steps; ++k) {
      const int rows = session.stats().masks_left;
      auto t0 = std::chrono::steady_clock::now();
      session.step();
      total += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      flops += forward_flops(s, n + gen, rows);
    }
    const double per_step = total / steps, gflop = flops / steps / 1e9;
    const double peak = peak_rss_bytes() / 1048576.0;
    std::printf("| %6d | %8d | %6.3f | %10.1f | %7.1f | %12.1f |\n", n, n + gen, per_step, gflop, gflop / per_step, peak);
    std::fflush(stdout);
    if (csv) std::fprintf(csv, "%d,%d,%.6f,%.3f,%.3f,%llu\n", n, n + gen, per_step, gflop, gflop / per_step,
                          static_cast<unsigned long long>(peak_rss_bytes()));
  }
  if (csv) std::fclose(csv);
  return 0;
}
