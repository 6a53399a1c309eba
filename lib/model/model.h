// A loaded model: the memory-mapped checkpoint, its spec, weights bound by role, and the
// backend that runs it. Immutable after load and safe to share between threads.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "io/checkpoint.h"
#include "model/convert_weights.h"
#include "model/model_spec.h"
#include "model/weights.h"

namespace maskkv {

enum class BackendKind : int { auto_select = 0, cpu = 1, cuda = 2 };

struct ModelOptions {
  BackendKind backend = BackendKind::auto_select;
  int n_threads = 0;  // 0 = one per core
  // Scan every tensor for NaN/Inf at load (bind_weights; norms and biases are always checked).
  bool scan_all_weights = false;
  // The linear weights' type in memory (model/convert_weights.h); as_stored keeps the file's.
  // The block types run on the CPU backend only.
  WeightType weight_type = WeightType::as_stored;
};

// The backend for a kind: auto picks CUDA when this build has it and a device is present.
std::unique_ptr<Backend> make_backend(BackendKind kind, int n_threads);

class Model {
 public:
  // `directory`: a Hugging Face model directory, or a LLaDA/Dream GGUF file.
  static std::shared_ptr<Model> load(const std::string& directory, const ModelOptions& options);

  const ModelSpec& spec() const { return spec_; }
  // The weights resident on the backend (pointers into backend memory).
  const Weights& weights() const { return weights_; }
  Backend& backend() const { return *backend_; }
  // The directory or GGUF file the model was loaded from.
  const std::string& directory() const { return checkpoint_->directory(); }
  // A stable hash of the architecture and of bytes sampled from every tensor (hex): profiles
  // carry it so that a profile measured on another model is rejected.
  const std::string& fingerprint() const { return fingerprint_; }

  // Logits [rows.size(), vocab] of the given sequence rows for ids at positions 0..n-1.
  std::vector<float> logits(const std::vector<int32_t>& ids, const std::vector<int64_t>& rows,
                            double rope_scaling) const;

 private:
  std::unique_ptr<Checkpoint> checkpoint_;
  ModelSpec spec_;
  Weights host_weights_;  // bound in the memory map
  std::unique_ptr<Backend> backend_;
  Weights weights_;       // host_weights_ made resident on backend_
  std::string fingerprint_;
};

}  // namespace maskkv
