// maskkv info --model DIR [--json]
#include <cstdio>
#include <nlohmann/json.hpp>

#include "command.h"
#include "commands.h"
#include "common.h"

namespace {

const char* kUsage =
    "usage: maskkv info --model DIR [--json] [--backend auto|cpu|cuda] [--threads N]\n"
    "                   [--weight-type auto|bf16|q8_0|q4_0]\n";

const char* dtype_name(int d) {
  switch (d) {
    case MASKKV_DTYPE_BF16: return "bf16";
    case MASKKV_DTYPE_F16: return "f16";
    case MASKKV_DTYPE_Q8_0: return "q8_0";
    case MASKKV_DTYPE_Q4_0: return "q4_0";
    default: return "f32";
  }
}

}  // namespace

int cmd_info(int argc, char** argv) {
  return cli::run_command("info", [&] {
    std::optional<cli::Args> parsed = cli::parse_command(argc, argv, cli::model_option_names(), {"json"}, kUsage);
    if (!parsed) return 0;
    const cli::Args& args = *parsed;
    cli::ModelHandle m = cli::open_model(args);
    maskkv_model_info info;
    info.size = sizeof(info);
    cli::check(maskkv_model_get_info(m.model, &info), "reading model information");
    const maskkv_tokenizer* tok = nullptr;
    const bool has_tokenizer = maskkv_model_get_tokenizer(m.model, &tok) == MASKKV_OK;

    nlohmann::json j;
    j["model"] = args.str("model");
    j["family"] = info.family == MASKKV_FAMILY_LLADA ? "llada" : "dream";
    j["n_layers"] = info.n_layers;
    j["d_model"] = info.d_model;
    j["n_heads"] = info.n_heads;
    j["n_kv_heads"] = info.n_kv_heads;
    j["head_dim"] = info.head_dim;
    j["mlp_hidden"] = info.mlp_hidden;
    j["vocab_size"] = info.vocab_size;
    j["max_seq_len"] = info.max_seq_len;
    j["rope_theta"] = info.rope_theta;
    j["rms_norm_eps"] = info.rms_norm_eps;
    j["weight_dtype"] = dtype_name(info.weight_dtype);
    j["n_params"] = info.n_params;
    j["weight_bytes"] = info.weight_bytes;
    j["backend"] = info.backend == MASKKV_BACKEND_CUDA ? "cuda" : "cpu";
    j["special_ids"] = {{"mask", info.mask_id}, {"bos", info.bos_id}, {"eos", info.eos_id},
                        {"eot", info.eot_id}};
    j["tokenizer"] = has_tokenizer;
    if (args.has("json")) {
      std::printf("%s\n", j.dump().c_str());
      return 0;
    }
    std::printf("model        %s\n", args.str("model").c_str());
    std::printf("family       %s\n", j["family"].get<std::string>().c_str());
    std::printf("layers       %d\n", info.n_layers);
    std::printf("d_model      %d (heads %d, kv heads %d, head dim %d)\n", info.d_model,
                info.n_heads, info.n_kv_heads, info.head_dim);
    std::printf("mlp hidden   %d\n", info.mlp_hidden);
    std::printf("vocab        %d\n", info.vocab_size);
    std::printf("context      %d tokens (rope theta %g)\n", info.max_seq_len, info.rope_theta);
    std::printf("parameters   %.1fM (%s, %.1f MiB)\n", info.n_params / 1e6,
                dtype_name(info.weight_dtype), info.weight_bytes / 1048576.0);
    std::printf("special ids  mask %d, bos %d, eos %d, eot %d\n", info.mask_id, info.bos_id,
                info.eos_id, info.eot_id);
    std::printf("tokenizer    %s\n", has_tokenizer ? "yes" : "none");
    std::printf("backend      %s\n", j["backend"].get<std::string>().c_str());
    return 0;
  });
}
