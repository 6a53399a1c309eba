// model.safetensors.index.json: arbitrary bytes are written as the index of a sharded model
// directory that also holds traps (a symlink to a shard outside it, a symlink to its parent),
// then opened as a Checkpoint. The invariant that matters: whatever the index says, no tensor
// comes from a file outside the model directory.
#include <filesystem>
#include <fstream>

#include "fuzz_common.h"
#include "io/checkpoint.h"

namespace fs = std::filesystem;

namespace {

struct Layout {
  std::string model, canonical;
  Layout() {
    fs::path root = fs::path(maskkv_fuzz::scratch_dir()) / "index";
    fs::path m = root / "model";
    fs::create_directories(m / "sub");
    const fs::path fx = fs::path(maskkv_fuzz::tests_dir()) / "fixtures/models/llada_sharded_bf16";
    for (const char* f : {"config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"})
      fs::copy_file(fx / f, m / f, fs::copy_options::overwrite_existing);
    // Traps: a valid shard outside the directory, reachable by a symlink and by '..'.
    fs::copy_file(fx / "model-00002-of-00002.safetensors", root / "outside.safetensors",
                  fs::copy_options::overwrite_existing);
    fs::create_symlink("../outside.safetensors", m / "link.safetensors");
    fs::create_symlink("..", m / "up");
    fs::create_symlink(fs::absolute(root), m / "sub" / "abs");
    model = m.string();
    canonical = fs::canonical(m).string() + "/";
  }
};

int fuzz_index(const uint8_t* data, size_t size) {
  static Layout layout;
  {
    std::ofstream out(layout.model + "/model.safetensors.index.json", std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  std::unique_ptr<maskkv::Checkpoint> c;
  maskkv::Code code = maskkv_fuzz::expect_clean([&] { c = std::make_unique<maskkv::Checkpoint>(layout.model); });
  if (code != maskkv::Code::ok) {
    maskkv_fuzz::check(code == maskkv::Code::format || code == maskkv::Code::io || code == maskkv::Code::unsupported,
                       "Checkpoint failed with an unexpected code");
    return 0;
  }
  for (const auto& [name, t] : c->tensors()) {
    std::error_code ec;
    std::string real = fs::canonical(t.file, ec).string();
    maskkv_fuzz::check(!ec && real.compare(0, layout.canonical.size(), layout.canonical) == 0,
                       "tensor '" + name + "' read from '" + t.file + "' (" + real + "), outside the model directory");
  }
  return 0;
}

}  // namespace

MASKKV_FUZZ_TARGET("index", fuzz_index)
