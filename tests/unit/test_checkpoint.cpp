// Model directories: single and sharded checkpoints load; broken directories, configs and
// tensors fail with a message naming the file, field or value.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <functional>

#include "core/error.h"
#include "io/checkpoint.h"
#include "model/model.h"
#include "model/model_spec.h"
#include "test_util.h"

using namespace maskkv;
using testutil::TempDir;

namespace {


std::shared_ptr<Model> load(const std::string& dir) { return Model::load(dir, ModelOptions{}); }

// Copies a fixture, lets `edit` change its config.json, and returns the directory.
void with_config(const TempDir& d, const char* fixture, const std::function<void(nlohmann::json&)>& edit) {
  testutil::copy_model(fixture, d.path());
  auto c = testutil::read_json(d.file("config.json"));
  edit(c);
  testutil::write_json(d.file("config.json"), c);
}

}  // namespace

TEST(Checkpoint, LoadsEveryFixture) {
  for (const char* name : {"llada_f32", "llada_bf16", "llada_f16", "llada_sharded_bf16", "dream_f32", "dream_bf16", "llada_deep_f32"}) {
    auto m = load(testutil::fixture(std::string("models/") + name));
    EXPECT_GT(m->spec().n_layers, 0) << name;
  }
}

TEST(Checkpoint, ShardedEqualsSingleFile) {
  Checkpoint a(testutil::fixture("models/llada_bf16")), b(testutil::fixture("models/llada_sharded_bf16"));
  ASSERT_EQ(a.tensors().size(), b.tensors().size());
  for (const auto& [name, t] : a.tensors()) {
    const TensorInfo& u = b.get(name);
    ASSERT_EQ(t.nbytes, u.nbytes) << name;
    EXPECT_EQ(std::memcmp(t.data, u.data, t.nbytes), 0) << name;
  }
}

TEST(Checkpoint, DreamSpecHasGqaBiasAndShift) {
  auto m = load(testutil::fixture("models/dream_f32"));
  EXPECT_EQ(m->spec().family, Family::dream);
  EXPECT_LT(m->spec().n_kv_heads, m->spec().n_heads);
  EXPECT_TRUE(m->spec().qkv_bias);
  EXPECT_TRUE(m->spec().logit_shift);
}

TEST(Checkpoint, MissingDirectory) {
  testutil::expect_error([] { load("/nonexistent/maskkv/model"); }, Code::io, "does not exist");
}

TEST(Checkpoint, MissingWeights) {
  TempDir d;
  testutil::write_file(d.file("config.json"), testutil::read_file(testutil::fixture("models/llada_f32/config.json")));
  testutil::expect_error([&] { load(d.path()); }, Code::io, "no model.safetensors");
}

TEST(Checkpoint, MissingConfig) {
  TempDir d;
  testutil::copy_model("llada_f32", d.path());
  std::filesystem::remove(d.file("config.json"));
  testutil::expect_error([&] { load(d.path()); }, Code::io, "config.json");
}

TEST(Checkpoint, TruncatedSafetensors) {
  TempDir d;
  testutil::copy_model("llada_f32", d.path());
  std::string bytes = testutil::read_file(d.file("model.safetensors"));
  testutil::write_file(d.file("model.safetensors"), bytes.substr(0, bytes.size() / 2));
  testutil::expect_error([&] { load(d.path()); }, Code::format, "outside the data section");
}

TEST(Checkpoint, ShardIndexPointingOutside) {
  TempDir d;
  testutil::copy_model("llada_sharded_bf16", d.path());
  auto idx = testutil::read_json(d.file("model.safetensors.index.json"));
  idx["weight_map"]["model.transformer.wte.weight"] = "../../etc/passwd";
  testutil::write_json(d.file("model.safetensors.index.json"), idx);
  testutil::expect_error([&] { load(d.path()); }, Code::format, "leaves");
}

TEST(Checkpoint, SymlinkEscapingDirectory) {
  TempDir d, outside;
  testutil::copy_model("llada_f32", d.path());
  std::filesystem::rename(d.file("model.safetensors"), outside.file("model.safetensors"));
  std::filesystem::create_symlink(outside.file("model.safetensors"), d.file("model.safetensors"));
  testutil::expect_error([&] { load(d.path()); }, Code::format, "outside the model directory");
}

TEST(Checkpoint, HuggingFaceCacheSnapshotLinksIntoItsOwnBlobs) {
  // The hub's layout: models--org--name/snapshots/REV/FILE -> ../../blobs/HASH.
  namespace fs = std::filesystem;
  TempDir cache;
  const fs::path repo = fs::path(cache.path()) / "models--org--tiny";
  const fs::path snap = repo / "snapshots" / "0123abcd";
  fs::create_directories(snap);
  fs::create_directories(repo / "blobs");
  TempDir src;
  testutil::copy_model("llada_f32", src.path());
  int k = 0;
  for (const char* f : {"config.json", "model.safetensors"}) {
    const std::string blob = "blob" + std::to_string(k++);
    fs::copy_file(src.file(f), repo / "blobs" / blob);
    fs::create_symlink(fs::path("../../blobs") / blob, snap / f);
  }
  load(snap.string());
  // A link out of the cache repository is still refused, even from a snapshot.
  TempDir outside;
  fs::rename(repo / "blobs" / "blob1", outside.file("model.safetensors"));
  fs::remove(snap / "model.safetensors");
  fs::create_symlink(outside.file("model.safetensors"), snap / "model.safetensors");
  testutil::expect_error([&] { load(snap.string()); }, Code::format, "outside the model directory");
  // And so is a link into another repository's blobs.
  const fs::path other = fs::path(cache.path()) / "models--org--other" / "blobs";
  fs::create_directories(other);
  fs::rename(outside.file("model.safetensors"), other / "blob1");
  fs::remove(snap / "model.safetensors");
  fs::create_symlink(other / "blob1", snap / "model.safetensors");
  testutil::expect_error([&] { load(snap.string()); }, Code::format, "outside the model directory");
}

TEST(Checkpoint, MissingTensor) {
  TempDir d;
  with_config(d, "llada_f32", [](nlohmann::json& c) { c["n_layers"] = c["n_layers"].get<int>() + 1; });
  testutil::expect_error([&] { load(d.path()); }, Code::format, "missing tensor 'model.transformer.blocks.");
}

TEST(Checkpoint, WrongShape) {
  TempDir d;
  with_config(d, "llada_f32", [](nlohmann::json& c) { c["mlp_hidden_size"] = 100; });
  testutil::expect_error([&] { load(d.path()); }, Code::format, "but config.json implies");
}

TEST(Config, MissingKey) {
  TempDir d;
  with_config(d, "llada_f32", [](nlohmann::json& c) { c.erase("d_model"); });
  testutil::expect_error([&] { load(d.path()); }, Code::format, "missing key 'd_model'");
}

TEST(Config, AbsurdValue) {
  TempDir d;
  with_config(d, "dream_f32", [](nlohmann::json& c) { c["num_hidden_layers"] = -3; });
  testutil::expect_error([&] { load(d.path()); }, Code::format, "'num_hidden_layers' = -3");
}

TEST(Config, HeadsNotDividingWidth) {
  TempDir d;
  with_config(d, "llada_f32", [](nlohmann::json& c) { c["n_heads"] = 5; c["n_kv_heads"] = 5; });
  testutil::expect_error([&] { load(d.path()); }, Code::format, "not divisible by the head count 5");
}

TEST(Config, UnsupportedModelType) {
  TempDir d;
  with_config(d, "llada_f32", [](nlohmann::json& c) { c["model_type"] = "mamba"; });
  testutil::expect_error([&] { load(d.path()); }, Code::unsupported, "model_type 'mamba'");
}

TEST(Config, MaskIdOutsideVocabulary) {
  TempDir d;
  with_config(d, "llada_f32", [](nlohmann::json& c) { c["mask_token_id"] = 100000; });
  testutil::expect_error([&] { load(d.path()); }, Code::format, "mask_token_id 100000");
}

TEST(Config, NotJson) {
  TempDir d;
  testutil::copy_model("llada_f32", d.path());
  testutil::write_file(d.file("config.json"), "{\"model_type\": ");
  testutil::expect_error([&] { load(d.path()); }, Code::format, "not valid JSON");
}
