// Models and model information through the C ABI.
#include <filesystem>

#include "api/guard.h"
#include "api/handles.h"
#include "api/options.h"
#include "io/gguf.h"
#include "io/gguf_tokenizer.h"

using namespace maskkv;

// The ABI's numbers are the engine's enums.
static_assert(static_cast<int>(DType::q8_0) == MASKKV_DTYPE_Q8_0 && static_cast<int>(DType::q4_0) == MASKKV_DTYPE_Q4_0 &&
                  static_cast<int>(DType::bf16) == MASKKV_DTYPE_BF16 && static_cast<int>(DType::f16) == MASKKV_DTYPE_F16,
              "MASKKV_DTYPE_* must equal DType");
static_assert(static_cast<int>(WeightType::q8_0) == MASKKV_WEIGHT_TYPE_Q8_0 &&
                  static_cast<int>(WeightType::q4_0) == MASKKV_WEIGHT_TYPE_Q4_0 &&
                  static_cast<int>(WeightType::bf16) == MASKKV_WEIGHT_TYPE_BF16,
              "MASKKV_WEIGHT_TYPE_* must equal WeightType");

extern "C" {

MASKKV_API void maskkv_model_default_options(maskkv_model_options* o) {
  if (!o) return;
  *o = maskkv_model_options{};
  o->size = sizeof(*o);
  o->backend = MASKKV_BACKEND_AUTO;
  o->n_threads = 0;
  o->weight_type = MASKKV_WEIGHT_TYPE_AUTO;
}

MASKKV_API maskkv_status maskkv_model_load(const char* directory,
                                           const maskkv_model_options* options,
                                           maskkv_model** out_model) {
  return api::guard([&] {
    api::require_arg(directory, "directory");
    api::require_arg(out_model, "out_model");
    *out_model = nullptr;
    maskkv_model_options o =
        api::read_options(options, maskkv_model_default_options, "maskkv_model_options");
    ModelOptions mo;
    if (o.backend < MASKKV_BACKEND_AUTO || o.backend > MASKKV_BACKEND_CUDA)
      fail(Code::invalid_argument, "backend = " + std::to_string(o.backend) + " is not a MASKKV_BACKEND_* value");
    mo.backend = static_cast<BackendKind>(o.backend);
    if (o.n_threads < 0 || o.n_threads > kMaxThreads)
      fail(Code::invalid_argument, "n_threads = " + std::to_string(o.n_threads) + " must be in [0, " +
                                       std::to_string(kMaxThreads) + "] (0 = one per core)");
    mo.n_threads = o.n_threads;
    if (o.weight_type < MASKKV_WEIGHT_TYPE_AUTO || o.weight_type > MASKKV_WEIGHT_TYPE_Q4_0)
      fail(Code::invalid_argument,
           "weight_type = " + std::to_string(o.weight_type) + " is not a MASKKV_WEIGHT_TYPE_* value");
    mo.weight_type = static_cast<WeightType>(o.weight_type);
    auto handle = std::make_unique<maskkv_model>();
    handle->impl = Model::load(directory, mo);
    const bool gguf = is_gguf_file(directory);
    // The tokenizer loader opens these names; none may lead out of the model directory.
    if (!gguf)
      check_inside(directory, {"tokenizer.json", "tokenizer.model", "vocab.json", "merges.txt",
                               "tokenizer_config.json"});
    try {
      handle->tokenizer.impl = gguf ? load_gguf_tokenizer(directory) : tok::load_tokenizer(directory);
    } catch (const Error& e) {
      if (e.code() != Code::not_found) throw;
    }
    *out_model = handle.release();
  });
}

MASKKV_API void maskkv_model_free(maskkv_model* model) { delete model; }

MASKKV_API maskkv_status maskkv_model_get_info(const maskkv_model* model, maskkv_model_info* info) {
  return api::guard([&] {
    api::require_arg(model, "model");
    api::require_arg(info, "info");
    if (info->size < sizeof(uint32_t) + sizeof(int32_t))
      fail(Code::invalid_argument, "maskkv_model_info.size = " + std::to_string(info->size) +
                                       " is too small; set it to sizeof(maskkv_model_info)");
    const ModelSpec& s = model->impl->spec();
    maskkv_model_info out{};
    out.size = sizeof(out);
    out.family = s.family == Family::llada ? MASKKV_FAMILY_LLADA : MASKKV_FAMILY_DREAM;
    out.n_layers = s.n_layers;
    out.d_model = s.d_model;
    out.n_heads = s.n_heads;
    out.n_kv_heads = s.n_kv_heads;
    out.head_dim = s.head_dim;
    out.mlp_hidden = s.mlp_hidden;
    out.vocab_size = s.vocab_size;
    out.max_seq_len = s.max_seq_len;
    out.mask_id = s.mask_id;
    out.bos_id = s.bos_id;
    out.eos_id = s.eos_id;
    out.eot_id = s.eot_id;
    out.rope_theta = static_cast<float>(s.rope_theta);
    out.rms_norm_eps = s.rms_norm_eps;
    out.weight_dtype = static_cast<int32_t>(model->impl->weights().dtype);
    out.backend = model->impl->backend().host_memory() ? MASKKV_BACKEND_CPU : MASKKV_BACKEND_CUDA;
    out.n_params = s.n_params();
    out.weight_bytes = model->impl->weights().bytes;
    const uint32_t keep = info->size < sizeof(out) ? info->size : static_cast<uint32_t>(sizeof(out));
    std::memcpy(info, &out, keep);
    info->size = keep;
  });
}

MASKKV_API maskkv_status maskkv_model_get_tokenizer(const maskkv_model* model,
                                                    const maskkv_tokenizer** out) {
  return api::guard([&] {
    api::require_arg(model, "model");
    api::require_arg(out, "out");
    *out = nullptr;
    if (!model->tokenizer.impl)
      fail(Code::not_found, "the model " + model->impl->directory() + " has no tokenizer");
    *out = &model->tokenizer;
  });
}

}  // extern "C"
