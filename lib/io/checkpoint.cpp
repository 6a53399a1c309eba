#include "io/checkpoint.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.h"

namespace maskkv {

namespace fs = std::filesystem;

nlohmann::json read_json_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(Code::io, "cannot open '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded()) fail(Code::format, path + ": not valid JSON");
  return j;
}

std::string resolve_inside(const std::string& directory, const std::string& name) {
  fs::path rel(name);
  if (name.empty() || rel.is_absolute())
    fail(Code::format, "file name '" + name + "' must be relative to " + directory);
  for (const auto& part : rel)
    if (part == "..") fail(Code::format, "file name '" + name + "' leaves " + directory);
  std::error_code ec;
  fs::path root = fs::canonical(directory, ec);
  if (ec) fail(Code::io, "cannot resolve directory '" + directory + "': " + ec.message());
  fs::path full = fs::path(directory) / rel;
  fs::path real = fs::weakly_canonical(full, ec);
  if (ec) fail(Code::io, "cannot resolve '" + full.string() + "': " + ec.message());
  auto r = real.begin();
  for (auto it = root.begin(); it != root.end(); ++it, ++r)
    if (r == real.end() || *r != *it)
      fail(Code::format, "'" + full.string() + "' resolves to '" + real.string() +
                             "', outside the model directory");
  return full.string();
}

Checkpoint::Checkpoint(const std::string& directory) : directory_(directory) {
  std::error_code ec;
  if (!fs::is_directory(directory, ec))
    fail(Code::io, "model directory '" + directory + "' does not exist or is not a directory");
  std::string config_path = resolve_inside(directory, "config.json");
  if (!fs::exists(config_path, ec)) fail(Code::io, "missing " + config_path);
  config_ = read_json_file(config_path);
  if (!config_.is_object()) fail(Code::format, config_path + ": not a JSON object");

  std::vector<std::string> shards;
  std::string single = (fs::path(directory) / "model.safetensors").string();
  std::string index_path = (fs::path(directory) / "model.safetensors.index.json").string();
  std::map<std::string, std::string> weight_map;
  if (fs::exists(index_path, ec)) {
    nlohmann::json index = read_json_file(resolve_inside(directory, "model.safetensors.index.json"));
    if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object())
      fail(Code::format, index_path + ": missing object field 'weight_map'");
    std::set<std::string> seen;
    for (auto it = index["weight_map"].begin(); it != index["weight_map"].end(); ++it) {
      if (!it.value().is_string())
        fail(Code::format, index_path + ": weight_map entry '" + it.key() + "' is not a string");
      std::string shard = it.value().get<std::string>();
      weight_map[it.key()] = shard;
      if (seen.insert(shard).second) shards.push_back(shard);
    }
    if (shards.empty()) fail(Code::format, index_path + ": weight_map is empty");
  } else if (fs::exists(single, ec)) {
    shards.push_back("model.safetensors");
  } else {
    fail(Code::io, "no model.safetensors or model.safetensors.index.json in " + directory);
  }

  for (const auto& shard : shards) {
    std::string path = resolve_inside(directory, shard);
    files_.push_back(std::make_unique<SafetensorsFile>(path));
    for (const auto& [name, info] : files_.back()->tensors()) {
      if (tensors_.count(name))
        fail(Code::format, "tensor '" + name + "' appears in both " + tensors_[name].file +
                               " and " + path);
      tensors_[name] = info;
    }
  }
  for (const auto& [name, shard] : weight_map) {
    auto it = tensors_.find(name);
    if (it == tensors_.end())
      fail(Code::format, index_path + " maps '" + name + "' to " + shard +
                             ", which does not contain it");
  }
}

const TensorInfo& Checkpoint::get(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) fail(Code::format, "missing tensor '" + name + "' in " + directory_);
  return it->second;
}

}  // namespace maskkv
