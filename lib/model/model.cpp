#include "model/model.h"

#include "core/error.h"
#include "model/transformer.h"

namespace maskkv {

std::shared_ptr<Model> Model::load(const std::string& directory, const ModelOptions& options) {
  if (options.backend == BackendKind::cuda)
    fail(Code::unsupported, "backend 'cuda' requested, but this build of maskkv has no CUDA backend");
  if (options.backend != BackendKind::auto_select && options.backend != BackendKind::cpu)
    fail(Code::invalid_argument, "unknown backend " + std::to_string(static_cast<int>(options.backend)));
  auto m = std::shared_ptr<Model>(new Model());
  m->checkpoint_ = std::make_unique<Checkpoint>(directory);
  m->spec_ = parse_model_spec(m->checkpoint_->config(), directory + "/config.json");
  m->weights_ = bind_weights(m->spec_, *m->checkpoint_);
  m->backend_ = make_cpu_backend(options.n_threads);
  return m;
}

std::vector<float> Model::logits(const std::vector<int32_t>& ids, const std::vector<int64_t>& rows,
                                 double rope_scaling) const {
  return forward_logits(spec_, weights_, *backend_, ids.data(), static_cast<int64_t>(ids.size()),
                        rows, spec_.rope_theta * rope_scaling);
}

}  // namespace maskkv
