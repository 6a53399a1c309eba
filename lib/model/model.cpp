#include "model/model.h"

#include <cstdio>

#include "core/error.h"
#include "io/gguf.h"
#include "io/gguf_checkpoint.h"
#include "model/transformer.h"

namespace maskkv {

namespace {

// FNV-1a over the spec's numbers and, for every tensor in name order, its name, shape and up
// to 64 bytes from its start, middle and end.
std::string fingerprint_of(const ModelSpec& s, const Checkpoint& c) {
  uint64_t h = 0xcbf29ce484222325ull;
  auto mix = [&h](const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 0x100000001b3ull;
  };
  const int64_t dims[] = {static_cast<int64_t>(s.family), s.n_layers, s.d_model, s.n_heads, s.n_kv_heads,
                          s.mlp_hidden, s.vocab_size, s.mask_id};
  mix(dims, sizeof(dims));
  for (const auto& [name, t] : c.tensors()) {
    mix(name.data(), name.size());
    mix(t.shape.data(), t.shape.size() * sizeof(int64_t));
    const size_t n = std::min<size_t>(64, t.nbytes);
    mix(t.data, n);
    mix(t.data + t.nbytes / 2 - std::min(t.nbytes / 2, n / 2), std::min(n, t.nbytes));
    mix(t.data + t.nbytes - n, n);
  }
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

}  // namespace

std::unique_ptr<Backend> make_backend(BackendKind kind, int n_threads) {
  if (kind == BackendKind::cuda) return make_cuda_backend(0);  // throws naming why not
  if (kind == BackendKind::auto_select && cuda_available()) return make_cuda_backend(0);
  return make_cpu_backend(n_threads);
}

std::shared_ptr<Model> Model::load(const std::string& directory, const ModelOptions& options) {
  if (options.backend != BackendKind::auto_select && options.backend != BackendKind::cpu &&
      options.backend != BackendKind::cuda)
    fail(Code::invalid_argument, "unknown backend " + std::to_string(static_cast<int>(options.backend)));
  check_thread_count(options.n_threads);  // whichever backend is picked, before any I/O
  std::string why;
  if (options.backend == BackendKind::cuda && !cuda_available(&why))
    fail(Code::unsupported, "backend 'cuda' requested, but " + why + "; use backend 'cpu' or 'auto'");
  auto m = std::shared_ptr<Model>(new Model());
  // A GGUF file (recognised by its magic, whatever its name) stands for a whole model
  // directory: its metadata give the config, its tensors the weights.
  const bool gguf = is_gguf_file(directory);
  m->checkpoint_ = gguf ? load_gguf_checkpoint(directory) : std::make_unique<Checkpoint>(directory);
  m->spec_ = parse_model_spec(m->checkpoint_->config(), gguf ? directory + " (metadata)" : directory + "/config.json");
  m->host_weights_ = bind_weights(m->spec_, *m->checkpoint_, options.scan_all_weights);
  // Before any conversion: converting releases the source tensors' memory.
  m->fingerprint_ = fingerprint_of(m->spec_, *m->checkpoint_);
  m->backend_ = make_backend(options.backend, options.n_threads);
  if ((options.weight_type == WeightType::q8_0 || options.weight_type == WeightType::q4_0) &&
      !m->backend_->host_memory())
    fail(Code::unsupported, std::string("weight type ") + weight_type_name(options.weight_type) +
                                " runs on the CPU backend only (the CUDA backend has no quantized kernels); "
                                "use backend 'cpu' or weight type 'auto'/'bf16'");
  m->host_weights_ = convert_weights(m->host_weights_, options.weight_type, options.n_threads,
                                    m->backend_->interleaved_block_weights());
  // A GGUF file's Q8_0/Q4_0 tensors are used as stored: refused here, before any upload, on a
  // backend without kernels for them.
  if (!m->backend_->host_memory())
    if (const char* block = block_weight_dtype(m->host_weights_))
      fail(Code::unsupported, directory + " holds " + block +
                                  " weights, which the CUDA backend has no kernels for; use backend 'cpu', "
                                  "or weight type 'bf16' to dequantize them at load");
  m->weights_ = place_weights(m->spec_, m->host_weights_, *m->backend_);
  m->backend_->set_compute_dtype(m->host_weights_.dtype);
  return m;
}

std::vector<float> Model::logits(const std::vector<int32_t>& ids, const std::vector<int64_t>& rows,
                                 double rope_scaling) const {
  const RowBlock all{ids.data(), 0, static_cast<int64_t>(ids.size())};
  return forward_logits(spec_, weights_, *backend_, all, rows, spec_.rope_theta * rope_scaling);
}

}  // namespace maskkv
