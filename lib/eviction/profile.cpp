#include "eviction/profile.h"

#include <cmath>
#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "io/checkpoint.h"

namespace maskkv {

namespace {
constexpr const char* kFormat = "maskkv-profile";

std::vector<double> numbers(const nlohmann::json& j, const std::string& path, const char* field,
                            size_t expected) {
  if (!j.is_array() || j.size() != expected)
    fail(Code::format, path + ": '" + field + "' must be an array of " + std::to_string(expected) + " numbers");
  std::vector<double> out;
  for (const auto& v : j) {
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < 0)
      fail(Code::format, path + ": '" + field + "' holds " + json_brief(v) + ", not a finite non-negative number");
    out.push_back(v.get<double>());
  }
  return out;
}
Profile parse_profile_json(const nlohmann::json& j, const std::string& path,
                           const std::string& expected_fingerprint);
}  // namespace

Profile load_profile(const std::string& path, const std::string& expected_fingerprint) {
  return parse_profile_json(read_json_file(path), path, expected_fingerprint);
}

Profile parse_profile(const std::string& text, const std::string& origin,
                      const std::string& expected_fingerprint) {
  return parse_profile_json(parse_json_text(text, origin), origin, expected_fingerprint);
}

namespace {
Profile parse_profile_json(const nlohmann::json& j, const std::string& path,
                           const std::string& expected_fingerprint) {
  if (!j.is_object() || !j.contains("format") || !j["format"].is_string() || j["format"] != kFormat)
    fail(Code::format, path + ": not a maskkv profile (field 'format' must be \"" + kFormat + "\")");
  Profile p;
  if (!j.contains("model_fingerprint") || !j["model_fingerprint"].is_string())
    fail(Code::format, path + ": missing string field 'model_fingerprint'");
  p.fingerprint = j["model_fingerprint"];
  if (!expected_fingerprint.empty() && p.fingerprint != expected_fingerprint)
    fail(Code::invalid_argument, path + " was measured on another model (fingerprint " + p.fingerprint +
                                     ", this model's is " + expected_fingerprint + "); run maskkv calibrate for this model");
  for (const char* key : {"n_layers", "n_kv_heads"})
    if (!j.contains(key) || !j[key].is_number_integer() || j[key].get<int64_t>() < 1 || j[key].get<int64_t>() > 4096)
      fail(Code::format, path + ": field '" + key + "' must be a positive integer");
  p.n_layers = j["n_layers"];
  p.n_kv_heads = j["n_kv_heads"];
  if (j.contains("samples") && (!j["samples"].is_number_integer() || j["samples"].get<int64_t>() < 0 ||
                                 j["samples"].get<int64_t>() > INT32_MAX))
    fail(Code::format, path + ": field 'samples' must be a non-negative integer");
  p.samples = j.contains("samples") ? j["samples"].get<int>() : 0;
  p.layer_importance = numbers(j.value("layer_importance", nlohmann::json()), path, "layer_importance", p.n_layers);
  const auto& heads = j.value("head_prompt_preference", nlohmann::json());
  if (!heads.is_array() || heads.size() != static_cast<size_t>(p.n_layers))
    fail(Code::format, path + ": 'head_prompt_preference' must hold one array per layer");
  for (const auto& row : heads) p.head_prompt_preference.push_back(numbers(row, path, "head_prompt_preference", p.n_kv_heads));
  return p;
}
}  // namespace

void save_profile(const Profile& p, const std::string& path) {
  nlohmann::json j;
  j["format"] = kFormat;
  j["version"] = 1;
  j["model_fingerprint"] = p.fingerprint;
  j["n_layers"] = p.n_layers;
  j["n_kv_heads"] = p.n_kv_heads;
  j["samples"] = p.samples;
  j["layer_importance"] = p.layer_importance;
  j["head_prompt_preference"] = p.head_prompt_preference;
  std::ofstream out(path);
  if (!out) fail(Code::io, "cannot write '" + path + "'");
  out << j.dump(1) << "\n";
  if (!out) fail(Code::io, "writing '" + path + "' failed");
}

}  // namespace maskkv
