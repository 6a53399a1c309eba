#include "generate_args.h"

#include <cstdint>

namespace cli {

std::set<std::string> generate_option_names() {
  return {"gen-length", "steps", "block-length", "sampler", "remasking", "alg", "alg-temp",
          "temperature", "top-p", "top-k", "cfg-scale", "threshold", "factor", "seed", "backend",
          "threads", "weight-type", "rope-scaling", "policy", "budget", "profile", "prompt-refresh",
          "response-refresh", "rho", "alpha", "beta", "window", "pool-kernel", "kv-memory-limit"};
}

std::set<std::string> generate_flag_names() {
  return {"eos-logit-inf", "eos-confidence-inf", "online"};
}

const char* const kGenerateOptionsHelp =
    "  --gen-length N        response length (default 64)\n"
    "  --steps N             denoising steps (default gen-length)\n"
    "  --block-length N      LLaDA block length (default gen-length)\n"
    "  --sampler llada|dream the model family's own by default\n"
    "  --remasking low_confidence|random       (LLaDA)\n"
    "  --alg origin|maskgit_plus|topk_margin|entropy  (Dream, default entropy)\n"
    "  --alg-temp X --top-p P --top-k K        (Dream)   --cfg-scale W (LLaDA)   --temperature T\n"
    "  --threshold TAU | --factor F            Fast-dLLM parallel commit rules\n"
    "  --eos-logit-inf --eos-confidence-inf    LLaDA EOS options\n"
    "  --rope-scaling X      NTK factor on the RoPE base for long prompts (default 1; 0 = auto)\n"
    "  --policy none|full|maskkv|snapkv|pyramidkv|squeezeattention|adakv  (default none)\n"
    "  --budget N            prompt K/V pairs kept per head, on average (default 256)\n"
    "  --profile FILE        MaskKV profile from maskkv calibrate | --online\n"
    "  --prompt-refresh N --response-refresh N --rho X   dLLM-Cache (0 = family defaults)\n"
    "  --alpha X --beta X    MaskKV allocation (0.1, 0.4)\n"
    "  --window N --pool-kernel N  SnapKV family (32, 7)\n"
    "  --kv-memory-limit BYTES     refuse a generation whose K/V cache could exceed it\n"
    "  --seed S --backend auto|cpu|cuda --threads N\n"
    "  --weight-type auto|bf16|q8_0|q4_0   convert the linear weights at load (q8_0/q4_0: CPU only)\n"
    "Options that would have no effect (top-k with the LLaDA sampler, a budget with policy none, ...)\n"
    "are refused with the reason.\n";

maskkv_generate_options read_generate_options(const Args& a) {
  maskkv_generate_options o;
  maskkv_generate_default_options(&o);
  o.gen_length = static_cast<int32_t>(a.integer_in("gen-length", o.gen_length, 1, 1 << 20));
  o.steps = static_cast<int32_t>(a.integer_in("steps", o.steps, 0, 1 << 20));
  o.block_length = static_cast<int32_t>(a.integer_in("block-length", o.block_length, 0, 1 << 20));
  o.sampler = a.choice("sampler", {"auto", "llada", "dream"}, o.sampler);
  o.remasking = a.choice("remasking", {"low_confidence", "random"}, o.remasking);
  o.alg = a.choice("alg", {"origin", "maskgit_plus", "topk_margin", "entropy"}, o.alg);
  o.alg_temp = static_cast<float>(a.number("alg-temp", o.alg_temp));
  o.temperature = static_cast<float>(a.number("temperature", o.temperature));
  o.top_p = static_cast<float>(a.number("top-p", o.top_p));
  o.top_k = static_cast<int32_t>(a.integer_in("top-k", o.top_k, 0, INT32_MAX));
  o.cfg_scale = static_cast<float>(a.number("cfg-scale", o.cfg_scale));
  o.threshold = static_cast<float>(a.number("threshold", o.threshold));
  o.factor = static_cast<float>(a.number("factor", o.factor));
  o.eos_logit_inf = a.has("eos-logit-inf");
  o.eos_confidence_inf = a.has("eos-confidence-inf");
  o.seed = a.unsigned_integer("seed", o.seed);
  o.rope_scaling = static_cast<float>(a.number("rope-scaling", o.rope_scaling));
  o.policy = a.choice("policy", {"none", "full", "maskkv", "snapkv", "pyramidkv", "squeezeattention", "adakv"},
                      o.policy);
  o.budget = static_cast<int32_t>(a.integer_in("budget", o.budget, 1, INT32_MAX));
  o.online = a.has("online");
  o.prompt_refresh = static_cast<int32_t>(a.integer_in("prompt-refresh", o.prompt_refresh, 0, INT32_MAX));
  o.response_refresh = static_cast<int32_t>(a.integer_in("response-refresh", o.response_refresh, 0, INT32_MAX));
  o.rho = static_cast<float>(a.number("rho", o.rho));
  o.alpha = static_cast<float>(a.number("alpha", o.alpha));
  o.beta = static_cast<float>(a.number("beta", o.beta));
  o.window = static_cast<int32_t>(a.integer_in("window", o.window, 1, INT32_MAX));
  o.pool_kernel = static_cast<int32_t>(a.integer_in("pool-kernel", o.pool_kernel, 1, 1001));
  o.kv_memory_limit = a.unsigned_integer("kv-memory-limit", o.kv_memory_limit);
  return o;
}


}  // namespace cli
