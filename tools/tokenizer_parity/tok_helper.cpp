// A small driver of the tokenizer library for the parity test and the benchmark scripts
// (it links maskkv_tokenizer directly, so it does not depend on the CLI).
//   tok_helper encode-decode TOKENIZER [--add-special]
//     stdin: JSON strings, one per line; stdout per line: [[ids...], "decode(ids)"] or
//     {"error": "..."}.
//   tok_helper decode TOKENIZER [--skip-special]
//     stdin: JSON arrays of ids; stdout: JSON strings.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <string>

#include "core/error.h"
#include "tokenizer/tokenizer.h"

using json = nlohmann::json;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: tok_helper encode-decode|decode TOKENIZER [--add-special|--skip-special]\n");
    return 2;
  }
  std::string mode = argv[1];
  bool flag = argc > 3;
  std::shared_ptr<const maskkv::tok::Tokenizer> tok;
  try {
    tok = maskkv::tok::load_tokenizer(argv[2]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tok_helper: %s\n", e.what());
    return 1;
  }
  std::ios::sync_with_stdio(false);
  std::string line;
  std::string out;
  while (std::getline(std::cin, line)) {
    json res;
    try {
      json j = json::parse(line);
      if (mode == "encode-decode") {
        std::vector<int32_t> ids = tok->encode(j.get<std::string>(), flag);
        res = json::array({ids, tok->decode(ids, false)});
      } else if (mode == "decode") {
        std::vector<int32_t> ids = j.get<std::vector<int32_t>>();
        res = tok->decode(ids, flag);
      } else {
        std::fprintf(stderr, "tok_helper: unknown mode %s\n", mode.c_str());
        return 2;
      }
    } catch (const std::exception& e) {
      res = json{{"error", e.what()}};
    }
    out = res.dump(-1, ' ', false, json::error_handler_t::replace);
    out += '\n';
    std::fwrite(out.data(), 1, out.size(), stdout);
  }
  return 0;
}
