// maskkv_fuzz_replay TARGET PATH...: runs a fuzz target (see fuzz_common.h) on each file, or
// on each file of each directory, without libFuzzer. CTest runs it on the committed seeds and
// on tests/fuzz/regressions/TARGET/ (every input that ever crashed a target) in every build,
// so a fixed bug stays fixed under plain, ASan and TSan builds alike.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

#include "fuzz_common.h"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  auto& reg = maskkv_fuzz::registry();
  if (argc < 2 || reg.count(argv[1]) == 0) {
    std::cerr << "usage: " << argv[0] << " TARGET PATH...\ntargets:";
    for (const auto& [name, fn] : reg) std::cerr << " " << name;
    std::cerr << "\n";
    return 2;
  }
  const auto fn = reg[argv[1]];
  std::vector<fs::path> files;
  for (int i = 2; i < argc; ++i) {
    std::error_code ec;
    if (fs::is_directory(argv[i], ec)) {
      for (const auto& e : fs::directory_iterator(argv[i]))
        if (e.is_regular_file() && e.path().filename().string()[0] != '.') files.push_back(e.path());
    } else if (fs::exists(argv[i], ec)) {
      files.push_back(argv[i]);
    }
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::cerr << "replay " << argv[1] << " " << f.string() << " (" << bytes.size() << " bytes)\n";
    // A copy in a buffer of exactly its size, so that ASan sees reads one past the end.
    std::unique_ptr<uint8_t[]> exact(new uint8_t[bytes.size() ? bytes.size() : 1]);
    std::copy(bytes.begin(), bytes.end(), exact.get());
    fn(exact.get(), bytes.size());
  }
  std::cout << argv[1] << ": " << files.size() << " inputs replayed, no oracle violation\n";
  return files.empty() ? 1 : 0;
}
