// A Hugging Face model directory: config.json plus model.safetensors, or shards listed by
// model.safetensors.index.json. No path read from the directory may leave it.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/safetensors.h"

namespace maskkv {

class Checkpoint {
 public:
  // Opens `directory`; throws Error naming the file at fault.
  explicit Checkpoint(const std::string& directory);
  // A checkpoint another format supplied (a GGUF file, io/gguf_checkpoint.h): `origin` names it
  // in messages and stands for directory(); the tensors point into memory `keep` owns;
  // `describe` quotes a tensor's name for a missing-tensor message, with the name it has in the
  // origin file.
  Checkpoint(std::string origin, nlohmann::json config, std::map<std::string, TensorInfo> tensors,
             std::shared_ptr<const void> keep, std::string (*describe)(const std::string&) = nullptr);

  const std::string& directory() const { return directory_; }
  const nlohmann::json& config() const { return config_; }

  bool has(const std::string& name) const { return tensors_.count(name) != 0; }
  // The tensor `name`; throws Error(format) "missing tensor NAME" when absent.
  const TensorInfo& get(const std::string& name) const;
  const std::map<std::string, TensorInfo>& tensors() const { return tensors_; }

 private:
  std::string directory_;
  nlohmann::json config_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, TensorInfo> tensors_;
  std::shared_ptr<const void> keep_;
  std::string (*describe_)(const std::string&) = nullptr;
};

// Reads and parses a JSON file; throws Error(io) / Error(format) naming the path.
nlohmann::json read_json_file(const std::string& path);
// The same for text already in memory (`origin` names it); both refuse JSON nested deeper than
// core/json_depth.h allows, before parsing.
nlohmann::json parse_json_text(const std::string& text, const std::string& origin);

// A JSON value from a file, for an error message: scalars as JSON (strings cut at 64 bytes),
// arrays and objects by their size. Never recursive (dump() is: a hostile file nests a value
// 100000 deep and the message would overflow the stack) and never long.
std::string json_brief(const nlohmann::json& value);

// `name` resolved inside `directory`; throws Error(format) when it is absolute, contains "..",
// or (after following symbolic links) lands outside the directory. A Hugging Face hub cache
// snapshot (models--ORG--NAME/snapshots/REVISION) may also link into its own repository's
// blobs/ folder, as the hub's downloads do; nowhere else.
std::string resolve_inside(const std::string& directory, const std::string& name);

// resolve_inside for each of `names` that exists in `directory` (a symbolic link counts, even a
// dangling one): for the files other loaders (the tokenizer's) will open from the directory.
void check_inside(const std::string& directory, const std::vector<std::string>& names);

}  // namespace maskkv
