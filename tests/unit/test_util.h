// Helpers for tests: temporary directories, fixture paths, hand-built safetensors images.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <functional>
#include <random>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "core/error.h"
#include "model/model.h"

namespace testutil {

namespace fs = std::filesystem;

inline std::string fixture(const std::string& rel) { return std::string(MASKKV_FIXTURES) + "/" + rel; }

// Sets (or, for nullptr, unsets) one environment variable for a scope, restoring it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    if (value) setenv(name, value, 1);
    else unsetenv(name);
  }
  ~ScopedEnv() {
    if (had_) setenv(name_.c_str(), old_.c_str(), 1);
    else unsetenv(name_.c_str());
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_, old_;
  bool had_ = false;
};

// A fresh directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "maskkv-test-XXXXXX").string();
    char* p = mkdtemp(tmpl.data());
    if (!p) throw std::runtime_error("mkdtemp failed");
    path_ = p;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A safetensors image: 8-byte little-endian header length, the header text, then data.
inline std::string safetensors_image(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out + header + data;
}

// Copies a fixture model directory into `dst` (a fresh directory) so a test can corrupt it.
inline void copy_model(const std::string& fixture_name, const std::string& dst) {
  fs::copy(fixture("models/" + fixture_name), dst, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
}

inline nlohmann::json read_json(const std::string& path) { return nlohmann::json::parse(read_file(path)); }
inline void write_json(const std::string& path, const nlohmann::json& j) { write_file(path, j.dump(2)); }

// n values drawn from N(0, scale^2) with a fixed seed.
inline std::vector<float> random_vec(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 g(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(g);
  return v;
}

// A fixture model by directory name, loaded once per test binary.
inline std::shared_ptr<maskkv::Model> fixture_model(const std::string& name) {
  static std::map<std::string, std::shared_ptr<maskkv::Model>> cache;
  auto& m = cache[name];
  // Pinned to the CPU: golden data is compared at CPU tolerances; the CUDA tests load their own.
  if (!m) {
    maskkv::ModelOptions o;
    o.backend = maskkv::BackendKind::cpu;
    m = maskkv::Model::load(fixture("models/" + name), o);
  }
  return m;
}

// Expects f() to throw maskkv::Error with `code` and a message containing `needle`.
inline void expect_error(const std::function<void()>& f, maskkv::Code code, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no error; expected one containing '" << needle << "'";
  } catch (const maskkv::Error& e) {
    EXPECT_EQ(static_cast<int>(e.code()), static_cast<int>(code)) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

}  // namespace testutil
