// Tokenizer encode throughput, single thread: maskkv's side of bench/tokenizer/run.sh.
//   bench_tokenizer TOKENIZER DOCS.jsonl [--passes N]
// DOCS.jsonl holds one JSON string per line. One untimed warm-up pass (both libraries cache
// words), then N timed passes; prints one JSON object: bytes, tokens, seconds, tokens_per_s.
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_tokenizer TOKENIZER DOCS.jsonl [--passes N]\n");
    return 2;
  }
  int passes = 3;
  for (int i = 3; i + 1 < argc; ++i)
    if (std::string(argv[i]) == "--passes") passes = std::stoi(argv[i + 1]);
  try {
    auto t0 = std::chrono::steady_clock::now();
    auto tok = maskkv::tok::load_tokenizer(argv[1]);
    double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::ifstream in(argv[2]);
    if (!in) throw std::runtime_error(std::string("cannot open ") + argv[2]);
    std::vector<std::string> docs;
    size_t bytes = 0;
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      docs.push_back(nlohmann::json::parse(line).get<std::string>());
      bytes += docs.back().size();
    }
    size_t tokens = 0;
    for (const auto& d : docs) tokens += tok->encode(d, false).size();  // warm-up
    double best = 1e30;
    for (int p = 0; p < passes; ++p) {
      auto a = std::chrono::steady_clock::now();
      size_t n = 0;
      for (const auto& d : docs) n += tok->encode(d, false).size();
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
      if (n != tokens) throw std::runtime_error("token count changed between passes");
      if (s < best) best = s;
    }
    // Cold: a fresh tokenizer (empty word cache) over the same text, once.
    auto cold_tok = maskkv::tok::load_tokenizer(argv[1]);
    auto a = std::chrono::steady_clock::now();
    for (const auto& d : docs) cold_tok->encode(d, false);
    double cold = std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
    std::printf("{\"impl\": \"maskkv\", \"docs\": %zu, \"bytes\": %zu, \"tokens\": %zu, \"seconds\": %.6f, "
                "\"tokens_per_s\": %.1f, \"mb_per_s\": %.2f, \"cold_tokens_per_s\": %.1f, \"load_s\": %.3f}\n",
                docs.size(), bytes, tokens, best, tokens / best, bytes / best / 1e6, tokens / cold, load_s);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_tokenizer: %s\n", e.what());
    return 1;
  }
  return 0;
}
