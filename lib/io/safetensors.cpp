#include "io/safetensors.h"

#include <algorithm>
#include <limits>
#include <string_view>
#include <unordered_set>
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

// Sees every key of every object once; stops at the first key an object holds twice.
class DuplicateKeys : public nlohmann::json_sax<nlohmann::json> {
 public:
  std::string duplicate;
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    open_.emplace_back();
    return true;
  }
  bool key(string_t& k) override {
    if (open_.back().insert(k).second) return true;
    duplicate = k;
    return false;
  }
  bool end_object() override {
    open_.pop_back();
    return true;
  }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  std::vector<std::unordered_set<std::string>> open_;
};

// False when `text` is not JSON; otherwise `duplicate` is the first repeated key, or "".
bool find_duplicate_key(std::string_view text, std::string& duplicate) {
  DuplicateKeys sax;
  const bool ok = nlohmann::json::sax_parse(text.begin(), text.end(), &sax,
                                            nlohmann::json::input_format_t::json, true);
  duplicate = sax.duplicate;
  return ok || !duplicate.empty();
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
  // field) twice shows different weights to different readers, so it is rejected. A SAX pass
  // finds them in linear time (a parser callback would rescan the parent object at the end of
  // every tensor's entry: quadratic in the number of tensors).
  std::string duplicate;
  if (!find_duplicate_key(std::string_view(hp, static_cast<size_t>(header_len)), duplicate))
    bad(file, "header is not valid JSON");
  if (!duplicate.empty())
    bad(file, "header has the key '" + duplicate + "' twice (a duplicated tensor or field)");
  nlohmann::json header = nlohmann::json::parse(hp, hp + header_len, nullptr, false);
  if (header.is_discarded()) bad(file, "header is not valid JSON");
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
      // (Values past INT64_MAX are unsigned: not negative, and caught as an overflow below.)
      if (!d.is_number_integer() || (!d.is_number_unsigned() && d.get<int64_t>() < 0))
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
