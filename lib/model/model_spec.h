// One bidirectional transformer, parameterised: LLaDA and Dream are two specs and two tensor
// name maps (see tensor_names.cpp), not two engines.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace maskkv {

enum class Family : int { llada = 1, dream = 2 };

struct ModelSpec {
  Family family = Family::llada;
  std::string model_type;
  int n_layers = 0;
  int d_model = 0;
  int n_heads = 0;
  int n_kv_heads = 0;
  int head_dim = 0;
  int mlp_hidden = 0;
  int vocab_size = 0;   // rows of the embedding and LM head (LLaDA: embedding_size)
  int max_seq_len = 0;
  double rope_theta = 10000.0;
  float rms_norm_eps = 1e-5f;
  bool qkv_bias = false;
  bool tied_embeddings = false;
  bool logit_shift = false;  // Dream: the prediction for position p is read at p - 1
  int mask_id = -1;
  int bos_id = -1;
  int eos_id = -1;
  int eot_id = -1;

  int group_size() const { return n_heads / n_kv_heads; }
  uint64_t n_params() const;
};

// Builds a spec from a parsed config.json; `path` names the file in error messages.
// Throws Error(format) for missing keys or absurd values, Error(unsupported) for model types
// and features maskkv does not run.
ModelSpec parse_model_spec(const nlohmann::json& config, const std::string& path);

const char* family_name(Family f);

}  // namespace maskkv
