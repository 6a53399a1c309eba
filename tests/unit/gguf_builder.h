// Builds GGUF images byte by byte for tests and fuzz seeds, including images a correct writer
// would never produce (raw fields, wrong counts, misplaced offsets).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace testutil {

class GgufBuilder {
 public:
  enum : uint32_t { u8 = 0, i8, u16, i16, u32, i32, f32, boolean, string, array, u64, i64, f64 };

  template <class T>
  static std::string pod(T v) {
    std::string s(sizeof(T), '\0');
    std::memcpy(s.data(), &v, sizeof(T));
    return s;
  }
  static std::string str(std::string_view s) { return pod<uint64_t>(s.size()) + std::string(s); }

  uint32_t version = 3;
  uint64_t alignment = 32;       // where tensor data is placed (set general.alignment to match)
  int64_t n_kv_override = -1;    // >= 0: the metadata count written instead of the real one
  int64_t n_tensors_override = -1;

  // A metadata entry whose value bytes (after the type) are given.
  GgufBuilder& kv_raw(std::string_view key, uint32_t type, const std::string& value) {
    kv_ += str(key) + pod<uint32_t>(type) + value;
    ++n_kv_;
    return *this;
  }
  GgufBuilder& kv_u32(std::string_view key, uint32_t v) { return kv_raw(key, u32, pod(v)); }
  GgufBuilder& kv_f32(std::string_view key, float v) { return kv_raw(key, f32, pod(v)); }
  GgufBuilder& kv_bool(std::string_view key, bool v) { return kv_raw(key, boolean, pod<uint8_t>(v)); }
  GgufBuilder& kv_str(std::string_view key, std::string_view v) { return kv_raw(key, string, str(v)); }
  GgufBuilder& kv_strs(std::string_view key, const std::vector<std::string>& v) {
    std::string body = pod<uint32_t>(string) + pod<uint64_t>(v.size());
    for (const auto& s : v) body += str(s);
    return kv_raw(key, array, body);
  }
  GgufBuilder& kv_i32s(std::string_view key, const std::vector<int32_t>& v) {
    std::string body = pod<uint32_t>(i32) + pod<uint64_t>(v.size());
    for (int32_t x : v) body += pod(x);
    return kv_raw(key, array, body);
  }

  // A tensor whose data is appended at the next multiple of `alignment`.
  GgufBuilder& tensor(std::string_view name, const std::vector<uint64_t>& ne, uint32_t type, const std::string& bytes) {
    data_ += std::string((alignment - data_.size() % alignment) % alignment, '\0');
    tensor_info(name, ne, type, data_.size());
    data_ += bytes;
    return *this;
  }
  // A tensor info alone, at any offset (the data section is whatever tensor() and data() add).
  GgufBuilder& tensor_info(std::string_view name, const std::vector<uint64_t>& ne, uint32_t type, uint64_t offset) {
    infos_ += str(name) + pod<uint32_t>(static_cast<uint32_t>(ne.size()));
    for (uint64_t d : ne) infos_ += pod(d);
    infos_ += pod(type) + pod(offset);
    ++n_tensors_;
    return *this;
  }
  GgufBuilder& data(const std::string& bytes) {
    data_ += bytes;
    return *this;
  }

  std::string build() const {
    std::string out = "GGUF" + pod(version) +
                      pod<uint64_t>(n_tensors_override >= 0 ? uint64_t(n_tensors_override) : n_tensors_) +
                      pod<uint64_t>(n_kv_override >= 0 ? uint64_t(n_kv_override) : n_kv_) + kv_ + infos_;
    if (n_tensors_ > 0) out += std::string((alignment - out.size() % alignment) % alignment, '\0');
    return out + data_;
  }

 private:
  std::string kv_, infos_, data_;
  uint64_t n_kv_ = 0, n_tensors_ = 0;
};

inline std::string f32_bytes(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

}  // namespace testutil
