// Process-wide helpers of the fuzz targets.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "fuzz_common.h"

namespace maskkv_fuzz {

namespace {
struct Scratch {
  std::string path;
  Scratch() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "maskkv-fuzz-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) die("mkdtemp failed");
    path = tmpl;
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};
}  // namespace

std::string scratch_dir() {
  static Scratch s;
  return s.path;
}

}  // namespace maskkv_fuzz
