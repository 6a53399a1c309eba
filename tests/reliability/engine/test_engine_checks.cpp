// Checks below the C ABI that the catalogue cannot reach: the opt-in full NaN/Inf scan of
// weights (ModelOptions::scan_all_weights), first_non_finite on every dtype and on unaligned
// data, duplicated safetensors keys, parse_profile, json_brief.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "core/error.h"
#include "eviction/profile.h"
#include "io/checkpoint.h"
#include "io/safetensors.h"
#include "model/model.h"
#include "model/weights.h"

using namespace maskkv;
namespace fs = std::filesystem;

namespace {

std::string fixture(const std::string& rel) { return std::string(MASKKV_FIXTURES) + "/" + rel; }

template <class F>
std::string error_of(F&& f, Code want) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(static_cast<int>(e.code()), static_cast<int>(want)) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

std::string image(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return out + header + data;
}

}  // namespace

TEST(WeightScan, FirstNonFiniteOnEveryDtypeAndUnalignedData) {
  std::vector<uint8_t> buf(64 + 1, 0);
  uint8_t* p = buf.data() + 1;  // unaligned on purpose: mapped tensors need not be aligned
  EXPECT_EQ(first_non_finite(DType::f32, p, 16), -1);
  const float inf = std::numeric_limits<float>::infinity(), nan = std::nanf("");
  std::memcpy(p + 4 * 9, &inf, 4);
  EXPECT_EQ(first_non_finite(DType::f32, p, 16), 9);
  std::memcpy(p + 4 * 3, &nan, 4);
  EXPECT_EQ(first_non_finite(DType::f32, p, 16), 3);
  std::fill(buf.begin(), buf.end(), 0);
  const uint16_t bf16_nan = 0x7FC1, f16_inf = 0xFC00, big_finite = 0x7F7F;
  std::memcpy(p + 2 * 5, &big_finite, 2);
  EXPECT_EQ(first_non_finite(DType::bf16, p, 32), -1);
  std::memcpy(p + 2 * 7, &bf16_nan, 2);
  EXPECT_EQ(first_non_finite(DType::bf16, p, 32), 7);
  std::fill(buf.begin(), buf.end(), 0);
  std::memcpy(p + 2 * 30, &f16_inf, 2);
  EXPECT_EQ(first_non_finite(DType::f16, p, 32), 30);
  EXPECT_EQ(first_non_finite(DType::f16, p, 30), -1);
}

TEST(WeightScan, OptInScanNamesTheMatrixAtLoad) {
  for (const char* name : {"llada_f32", "llada_bf16", "llada_f16"}) {
    const std::string dir = (fs::temp_directory_path() / (std::string("maskkv-scan-") + name)).string();
    fs::remove_all(dir);
    fs::copy(fixture(std::string("models/") + name), dir, fs::copy_options::recursive);
    std::string bytes;
    {
      std::ifstream in(dir + "/model.safetensors", std::ios::binary);
      bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    const std::string tensor = "model.transformer.blocks.1.up_proj.weight";
    const auto tensors = parse_safetensors(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "x");
    const TensorInfo& t = tensors.at(tensor);
    const size_t at = static_cast<size_t>(t.data - reinterpret_cast<const uint8_t*>(bytes.data())) +
                      17 * dtype_size(t.dtype);
    if (t.dtype == DType::f32) {
      const float nan = std::nanf("");
      std::memcpy(&bytes[at], &nan, 4);
    } else {
      const uint16_t v = t.dtype == DType::bf16 ? 0x7FC0 : 0x7E00;
      std::memcpy(&bytes[at], &v, 2);
    }
    std::ofstream(dir + "/model.safetensors", std::ios::binary) << bytes;

    EXPECT_NO_THROW(Model::load(dir, ModelOptions{})) << name << ": matrices are not scanned by default";
    ModelOptions scan;
    scan.scan_all_weights = true;
    const std::string msg = error_of([&] { Model::load(dir, scan); }, Code::format);
    EXPECT_NE(msg.find("tensor '" + tensor + "' holds a non-finite value (NaN or Inf) at index 17"), std::string::npos)
        << msg;
    fs::remove_all(dir);
  }
}

TEST(WeightScan, CleanFixturesPassTheFullScan) {
  ModelOptions scan;
  scan.scan_all_weights = true;
  for (const char* name : {"llada_f32", "llada_bf16", "llada_f16", "llada_sharded_bf16", "dream_f32", "dream_bf16"})
    EXPECT_NO_THROW(Model::load(fixture(std::string("models/") + name), scan)) << name;
}

TEST(SafetensorsKeys, DuplicatesAreRejectedAtEveryLevel) {
  const std::string data(8, '\0');
  const std::string ok = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  EXPECT_EQ(parse_safetensors(reinterpret_cast<const uint8_t*>(image(ok, data).data()), image(ok, data).size(), "f")
                .size(),
            1u);
  for (const std::string& h :
       {std::string(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})"),
        std::string(R"({"a":{"dtype":"F32","shape":[2],"shape":[1],"data_offsets":[0,8]}})"),
        std::string(R"({"__metadata__":{"k":"1","k":"2"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})")}) {
    const std::string img = image(h, data);
    const std::string msg =
        error_of([&] { parse_safetensors(reinterpret_cast<const uint8_t*>(img.data()), img.size(), "f"); }, Code::format);
    EXPECT_NE(msg.find("twice"), std::string::npos) << msg;
  }
  // The same key in two different objects is not a duplicate.
  const std::string two = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
  EXPECT_EQ(parse_safetensors(reinterpret_cast<const uint8_t*>(image(two, data).data()), image(two, data).size(), "f")
                .size(),
            2u);
}

// 200000 tensors, the last one duplicated: the duplicate check sees every key once (a parser
// callback that rescanned the parent object at each entry took minutes at 100000).
TEST(SafetensorsKeys, ManyTensorsParseAndALateDuplicateIsFound) {
  const int n = 200000;
  std::string h = "{";
  for (int i = 0; i < n; ++i)
    h += (i ? ",\"t" : "\"t") + std::to_string(i) + "\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[" +
         std::to_string(4 * i) + "," + std::to_string(4 * i + 4) + "]}";
  const std::string data(static_cast<size_t>(4 * n), '\0');
  const std::string img = image(h + "}", data);
  EXPECT_EQ(parse_safetensors(reinterpret_cast<const uint8_t*>(img.data()), img.size(), "f").size(),
            static_cast<size_t>(n));
  const std::string dup = image(h + ",\"t7\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", data);
  const std::string msg =
      error_of([&] { parse_safetensors(reinterpret_cast<const uint8_t*>(dup.data()), dup.size(), "f"); }, Code::format);
  EXPECT_NE(msg.find("the key 't7' twice"), std::string::npos) << msg;
}

TEST(ProfileText, ParseProfileMatchesTheFileLoader) {
  const std::string text =
      R"({"format":"maskkv-profile","model_fingerprint":"ab","n_layers":1,"n_kv_heads":2,"samples":3,)"
      R"("layer_importance":[0.5],"head_prompt_preference":[[0.25,0.75]]})";
  Profile p = parse_profile(text, "mem", "");
  EXPECT_EQ(p.n_layers, 1);
  EXPECT_EQ(p.samples, 3);
  EXPECT_EQ(p.head_prompt_preference[0][1], 0.75);
  EXPECT_NE(error_of([&] { parse_profile(text, "mem", "cd"); }, Code::invalid_argument).find("another model"),
            std::string::npos);
  EXPECT_NE(error_of([&] { parse_profile("{", "mem", ""); }, Code::format).find("mem: not valid JSON"), std::string::npos);
}

TEST(JsonBrief, ShortAndNeverRecursive) {
  EXPECT_EQ(json_brief(nlohmann::json(2.5)), "2.5");
  EXPECT_EQ(json_brief(nlohmann::json::array({1, 2, 3})), "an array of 3 elements");
  EXPECT_EQ(json_brief(nlohmann::json(std::string(100, 'x'))), "\"" + std::string(64, 'x') + "\"...");
  // 64 bytes cut inside a multi-byte character still gives valid output.
  std::string s(63, 'x');
  s += "\xC3\xA9\xC3\xA9";
  EXPECT_NO_THROW(json_brief(nlohmann::json(s)));
  std::string deep(200000, '[');
  deep += std::string(200000, ']');
  nlohmann::json j = nlohmann::json::parse(deep);
  EXPECT_EQ(json_brief(j), "an array of 1 elements");
}

TEST(ResolveInside, NulBytesAndEscapes) {
  const std::string dir = fixture("models/llada_sharded_bf16");
  EXPECT_NE(error_of([&] { resolve_inside(dir, std::string("config.json\0/../x", 17)); }, Code::format).find("NUL"),
            std::string::npos);
  EXPECT_NO_THROW(resolve_inside(dir, "config.json"));
  EXPECT_NO_THROW(check_inside(dir, {"tokenizer.json", "config.json"}));  // absent names are fine
}
