#include "io/checkpoint.h"

#include <filesystem>
#include <set>

#include "core/error.h"
#include "core/json_depth.h"
#include "core/read_file.h"

namespace maskkv {

namespace fs = std::filesystem;

namespace {

// Config, index and profile files are small; a bigger one is hostile or not what it claims.
constexpr uint64_t kMaxJsonFileBytes = 64u << 20;

}  // namespace

nlohmann::json parse_json_text(const std::string& text, const std::string& origin) {
  check_json_depth(text, origin);
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) fail(Code::format, origin + ": not valid JSON");
  return j;
}

nlohmann::json read_json_file(const std::string& path) {
  return parse_json_text(read_regular_file(path, kMaxJsonFileBytes, "a JSON file"), path);
}

std::string json_brief(const nlohmann::json& v) {
  if (v.is_array()) return "an array of " + std::to_string(v.size()) + " elements";
  if (v.is_object()) return "an object of " + std::to_string(v.size()) + " keys";
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (s.size() > 64)
      return nlohmann::json(s.substr(0, 64)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "...";
  }
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {

bool starts_with(const fs::path& real, const fs::path& root) {
  auto r = real.begin();
  for (auto it = root.begin(); it != root.end(); ++it, ++r)
    if (r == real.end() || *r != *it) return false;
  return true;
}

// A Hugging Face hub cache snapshot, models--ORG--NAME/snapshots/REVISION, keeps its files as
// symbolic links into the same repository's blobs/ folder: that folder (and no other) is
// inside the model too. Returns "" for any other directory.
fs::path hub_cache_blobs(const fs::path& root) {
  const fs::path snapshots = root.parent_path();
  const fs::path repo = snapshots.parent_path();
  if (snapshots.filename() != "snapshots" || repo.filename().string().rfind("models--", 0) != 0) return {};
  return repo / "blobs";
}

}  // namespace

std::string resolve_inside(const std::string& directory, const std::string& name) {
  // open() would stop at a NUL byte and read another file than the one checked below.
  if (name.find('\0') != std::string::npos)
    fail(Code::format, "a file name in " + directory + " contains a NUL byte");
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
  if (starts_with(real, root)) return full.string();
  const fs::path blobs = hub_cache_blobs(root);
  if (!blobs.empty() && starts_with(real, blobs) && real != blobs) return full.string();
  fail(Code::format, "'" + full.string() + "' resolves to '" + real.string() +
                         "', outside the model directory" +
                         (blobs.empty() ? "" : " and its Hugging Face cache blobs/ folder"));
}

void check_inside(const std::string& directory, const std::vector<std::string>& names) {
  for (const auto& name : names) {
    std::error_code ec;
    if (fs::exists(fs::symlink_status(fs::path(directory) / name, ec))) resolve_inside(directory, name);
  }
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

Checkpoint::Checkpoint(std::string origin, nlohmann::json config, std::map<std::string, TensorInfo> tensors,
                       std::shared_ptr<const void> keep, std::string (*describe)(const std::string&))
    : directory_(std::move(origin)),
      config_(std::move(config)),
      tensors_(std::move(tensors)),
      keep_(std::move(keep)),
      describe_(describe) {}

const TensorInfo& Checkpoint::get(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end())
    fail(Code::format, "missing tensor " + (describe_ ? describe_(name) : "'" + name + "'") + " in " + directory_);
  return it->second;
}

}  // namespace maskkv
