#include "io/safetensors.h"

#include <algorithm>
#include <limits>
#include <set>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/json_depth.h"

namespace maskkv {

namespace {

constexpr uint64_t kMaxHeaderBytes = 100u << 20;  // the reference implementation's own limit

[[noreturn]] void bad(const std::string& file, const std::string& what) {
  fail(Code::format, file + ": " + what);
}

DType parse_dtype(const std::string& s, const std::string& file, const std::string& name) {
  if (s == "F32") return DType::f32;
  if (s == "BF16") return DType::bf16;
  if (s == "F16") return DType::f16;
  fail(Code::unsupported,
       file + ": tensor '" + name + "' has dtype '" + s + "' (supported: F32, BF16, F16)");
}

}  // namespace

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string TensorInfo::shape_string() const {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::map<std::string, TensorInfo> parse_safetensors(const uint8_t* data, size_t size,
                                                    const std::string& file) {
  if (size < 8) bad(file, "file is " + std::to_string(size) + " bytes, too short for a header");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | data[i];
  if (header_len > kMaxHeaderBytes)
    bad(file, "header length " + std::to_string(header_len) + " exceeds the 100 MiB limit");
  if (header_len > size - 8)
    bad(file, "header length " + std::to_string(header_len) + " runs past the end of the file (" +
                  std::to_string(size) + " bytes)");
  const char* hp = reinterpret_cast<const char*>(data + 8);
  check_json_depth(std::string_view(hp, static_cast<size_t>(header_len)), file);
  // nlohmann keeps the last of duplicated keys silently; a header that names a tensor (or a
  // field) twice shows different weights to different readers, so it is rejected.
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  bool has_duplicate = false;
  auto on_event = [&](int, nlohmann::json::parse_event_t ev, nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    if (ev == E::object_start) {
      open_objects.emplace_back();
    } else if (ev == E::object_end) {
      if (!open_objects.empty()) open_objects.pop_back();
    } else if (ev == E::key && !open_objects.empty() && !has_duplicate &&
               !open_objects.back().insert(parsed.get<std::string>()).second) {
      has_duplicate = true;
      duplicate = parsed.get<std::string>();
    }
    return true;
  };
  nlohmann::json header = nlohmann::json::parse(hp, hp + header_len, on_event, false);
  if (header.is_discarded()) bad(file, "header is not valid JSON");
  if (has_duplicate)
    bad(file, "header has the key '" + duplicate + "' twice (a duplicated tensor or field)");
  if (!header.is_object()) bad(file, "header is not a JSON object");

  const uint8_t* base = data + 8 + header_len;
  const uint64_t data_size = size - 8 - header_len;
  std::map<std::string, TensorInfo> out;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    if (name == "__metadata__") continue;
    const auto& e = it.value();
    if (!e.is_object()) bad(file, "entry '" + name + "' is not an object");
    if (!e.contains("dtype") || !e["dtype"].is_string())
      bad(file, "tensor '" + name + "' has no string field 'dtype'");
    if (!e.contains("shape") || !e["shape"].is_array())
      bad(file, "tensor '" + name + "' has no array field 'shape'");
    if (!e.contains("data_offsets") || !e["data_offsets"].is_array() ||
        e["data_offsets"].size() != 2)
      bad(file, "tensor '" + name + "' has no field 'data_offsets' of two integers");
    TensorInfo t;
    t.name = name;
    t.file = file;
    t.dtype = parse_dtype(e["dtype"].get<std::string>(), file, name);
    uint64_t numel = 1;
    for (const auto& d : e["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0)
        bad(file, "tensor '" + name + "' has a shape entry that is not a non-negative integer");
      uint64_t v = d.get<uint64_t>();
      if (v != 0 && numel > std::numeric_limits<uint64_t>::max() / 4 / v)
        bad(file, "tensor '" + name + "' has a shape whose size overflows");
      numel *= v;
      t.shape.push_back(static_cast<int64_t>(v));
    }
    const auto& off = e["data_offsets"];
    if (!off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      bad(file, "tensor '" + name + "' has data_offsets that are not non-negative integers");
    uint64_t b = off[0].get<uint64_t>(), en = off[1].get<uint64_t>();
    if (b > en) bad(file, "tensor '" + name + "' has data_offsets with begin > end");
    if (en > data_size)
      bad(file, "tensor '" + name + "' data_offsets [" + std::to_string(b) + ", " +
                    std::to_string(en) + "] lie outside the data section (" +
                    std::to_string(data_size) + " bytes)");
    uint64_t expected = numel * dtype_size(t.dtype);
    if (en - b != expected)
      bad(file, "tensor '" + name + "' holds " + std::to_string(en - b) + " bytes but shape " +
                    t.shape_string() + " of " + dtype_name(t.dtype) + " needs " +
                    std::to_string(expected));
    t.data = base + b;
    t.nbytes = static_cast<size_t>(expected);
    ranges.emplace_back(b, en);
    out.emplace(name, std::move(t));
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].first < ranges[i - 1].second)
      bad(file, "tensor data ranges overlap at offset " + std::to_string(ranges[i].first));
  return out;
}

SafetensorsFile::SafetensorsFile(const std::string& path)
    : file_(std::make_unique<MappedFile>(path)) {
  tensors_ = parse_safetensors(file_->data(), file_->size(), path);
}

}  // namespace maskkv
