// config.json: JSON text -> parse_model_spec. Invariants on success: the dimensions the engine
// divides by and indexes with are positive and consistent.
#include <nlohmann/json.hpp>

#include "fuzz_common.h"
#include "io/checkpoint.h"
#include "model/model_spec.h"

namespace {

int fuzz_config(const uint8_t* data, size_t size) {
  // As Checkpoint reads it: parse_json_text (depth limit, then nlohmann), then the spec.
  const std::string text(reinterpret_cast<const char*>(data), size);
  maskkv::ModelSpec s;
  maskkv::Code c = maskkv_fuzz::expect_clean([&] { s = maskkv::parse_model_spec(maskkv::parse_json_text(text, "config.json"), "config.json"); });
  if (c != maskkv::Code::ok) {
    maskkv_fuzz::check(c == maskkv::Code::format || c == maskkv::Code::unsupported,
                       "parse_model_spec failed with an unexpected code");
    return 0;
  }
  maskkv_fuzz::check(s.n_layers > 0 && s.d_model > 0 && s.n_heads > 0 && s.n_kv_heads > 0, "non-positive dims");
  maskkv_fuzz::check(s.head_dim > 0 && s.head_dim * s.n_heads == s.d_model, "head_dim inconsistent");
  maskkv_fuzz::check(s.n_heads % s.n_kv_heads == 0 && s.group_size() >= 1, "GQA groups inconsistent");
  maskkv_fuzz::check(s.head_dim % 2 == 0, "odd head_dim");
  maskkv_fuzz::check(s.vocab_size > 0 && s.mask_id >= 0 && s.mask_id < s.vocab_size, "mask id outside vocab");
  maskkv_fuzz::check(s.eos_id < s.vocab_size && s.bos_id < s.vocab_size && s.eot_id < s.vocab_size, "special id outside vocab");
  maskkv_fuzz::check(s.max_seq_len > 0 && s.mlp_hidden > 0, "non-positive context or MLP width");
  maskkv_fuzz::check(s.rope_theta >= 1.0 && s.rms_norm_eps >= 0.0f, "rope theta / eps out of range");
  (void)s.n_params();
  return 0;
}

}  // namespace

MASKKV_FUZZ_TARGET("config", fuzz_config)
