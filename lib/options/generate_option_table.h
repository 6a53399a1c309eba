// The one table of generation options: each field of maskkv_generate_options with its kind,
// default, valid range, value names and help, in the struct's order. Everything else is derived
// from it: the C defaults (maskkv_generate_default_options), the member defaults of the C++
// option structs, the range checks and their messages, the copy from the C struct into the
// engine's options, the introspection calls of the C ABI (maskkv_generate_option_info) from
// which the CLI builds its flags and --help, and docs/options.md.
//
// To add an option: append a field to maskkv_generate_options (include/maskkv.h), a row at the
// end of this table, the member it sets in the engine's options, and regenerate
// docs/options.md (cmake --build build --target maskkv_options_doc).
#pragma once

#include <cstddef>
#include <type_traits>

namespace maskkv {

// The value kinds, numbered as the C ABI's MASKKV_OPTION_* constants.
enum class OptionKind : int {
  integer = 0,     // int32_t
  unsigned64 = 1,  // uint64_t, the whole range valid
  real = 2,        // float
  flag = 3,        // int32_t, 0 or 1
  choice = 4,      // int32_t, an index into the '|'-separated value names
  profile = 5,     // const maskkv_profile*
};

struct OptionSpec {
  const char* name;     // the field's name in maskkv_generate_options
  OptionKind kind;
  double default_value;
  double min, max;      // the valid range, inclusive
  const char* choices;  // choice: "a|b|c", value i = the i-th name; "" otherwise
  const char* help;     // one line
};

// X(name, kind, default, min, max, engine member, value names, help)
// The engine member is the field of GenerateOptions the option sets.
#define MASKKV_GENERATE_OPTIONS(X)                                                                  \
  X(gen_length, integer, 64, 1, 1048576, gen_length, "", "response length in tokens")               \
  X(steps, integer, 0, 0, 1048576, steps, "", "denoising steps; 0 = gen_length")                    \
  X(block_length, integer, 0, 0, 1048576, block_length, "",                                         \
    "LLaDA semi-autoregressive block length; 0 = gen_length")                                       \
  X(sampler, choice, 0, 0, 2, sampler, "auto|llada|dream",                                          \
    "denoising rules; auto = the model family's own")                                               \
  X(remasking, choice, 0, 0, 1, remasking, "low_confidence|random",                                 \
    "LLaDA: which masked positions a step commits")                                                 \
  X(alg, choice, 3, 0, 3, alg, "origin|maskgit_plus|topk_margin|entropy",                           \
    "Dream: the confidence that orders commits")                                                    \
  X(alg_temp, real, 0, 0, 100, alg_temp, "", "Dream: randomness of the commit order; 0 = the top n") \
  X(temperature, real, 0, 0, 100, temperature, "", "sampling temperature; 0 = greedy")              \
  X(top_p, real, 1, 1e-9, 1, top_p, "", "Dream: nucleus sampling; 1 = off")                         \
  X(top_k, integer, 0, 0, 2147483647, top_k, "", "Dream: sample from the k likeliest; 0 = off")     \
  X(cfg_scale, real, 0, 0, 1000, cfg_scale, "",                                                     \
    "LLaDA classifier-free guidance weight (policy none); 0 = off")                                 \
  X(threshold, real, 0, 0, 1, threshold, "",                                                        \
    "Fast-dLLM: commit every position at least this confident; 0 = off")                            \
  X(factor, real, 0, 0, 1000, factor, "", "Fast-dLLM factor rule; 0 = off")                         \
  X(eos_logit_inf, flag, 0, 0, 1, eos_logit_inf, "", "LLaDA: force the EOS logit to -inf")          \
  X(eos_confidence_inf, flag, 0, 0, 1, eos_confidence_inf, "",                                      \
    "LLaDA: EOS/EoT proposals get -inf confidence")                                                 \
  X(seed, unsigned64, 0, 0, 18446744073709551615.0, seed, "",                                       \
    "RNG seed: the same seed on the same backend gives the same output")                            \
  X(rope_scaling, real, 1, 0, 1e6, rope_scaling, "",                                                \
    "NTK factor on the RoPE base for long prompts; 1 = none, 0 = chosen for the length")            \
  X(policy, choice, 0, 0, 6, cache.policy, "none|full|maskkv|snapkv|pyramidkv|squeezeattention|adakv", \
    "prompt K/V policy (docs/eviction.md); none recomputes every step")                             \
  X(budget, integer, 256, 1, 2147483647, cache.budget, "",                                          \
    "prompt K/V pairs kept per head, on average (evicting policies)")                               \
  X(profile, profile, 0, 0, 0, cache.profile, "",                                                   \
    "MaskKV calibration profile (maskkv calibrate), for policy maskkv")                             \
  X(online, flag, 0, 0, 1, cache.online, "",                                                        \
    "policy maskkv: budgets from this prompt instead of a profile")                                 \
  X(prompt_refresh, integer, 0, 0, 2147483647, cache.prompt_refresh, "",                            \
    "dLLM-Cache prompt refresh interval; 0 = family default (LLaDA 50, Dream 25)")                  \
  X(response_refresh, integer, 0, 0, 2147483647, cache.response_refresh, "",                        \
    "dLLM-Cache response refresh interval; 0 = family default (LLaDA 5, Dream 2)")                  \
  X(rho, real, 0.25, 0, 1, cache.rho, "", "dLLM-Cache: share of response tokens refreshed per step") \
  X(alpha, real, 0.1, 0, 1, cache.alpha, "", "MaskKV head allocation mix")                          \
  X(beta, real, 0.4, 0, 1, cache.beta, "", "MaskKV base share of the budget")                       \
  X(window, integer, 32, 1, 2147483647, cache.window, "", "SnapKV-family observation window")       \
  X(pool_kernel, integer, 7, 1, 1001, cache.pool_kernel, "", "SnapKV-family max-pooling kernel (odd)") \
  X(kv_memory_limit, unsigned64, 0, 0, 18446744073709551615.0, cache.memory_limit, "",              \
    "bytes of K/V cache a session may hold at its peak, refused up front; 0 = no limit")

// GenOpt::gen_length, ...: an option's row in the table.
enum class GenOpt : int {
#define MASKKV_OPTION_ID(name, kind, def, lo, hi, member, choices, help) name,
  MASKKV_GENERATE_OPTIONS(MASKKV_OPTION_ID)
#undef MASKKV_OPTION_ID
};

inline constexpr OptionSpec kGenerateOptionSpecs[] = {
#define MASKKV_OPTION_SPEC(name, kind, def, lo, hi, member, choices, help)                          \
  {#name, OptionKind::kind, def, lo, hi, choices, help},
    MASKKV_GENERATE_OPTIONS(MASKKV_OPTION_SPEC)
#undef MASKKV_OPTION_SPEC
};

inline constexpr size_t kGenerateOptionCount = sizeof(kGenerateOptionSpecs) / sizeof(kGenerateOptionSpecs[0]);

constexpr const OptionSpec& option_spec(GenOpt id) { return kGenerateOptionSpecs[static_cast<int>(id)]; }

// An option's default as the type of the member that holds it (enums by their value).
template <class T>
constexpr T option_default(GenOpt id) {
  if constexpr (std::is_enum_v<T>)
    return static_cast<T>(static_cast<std::underlying_type_t<T>>(option_spec(id).default_value));
  else
    return static_cast<T>(option_spec(id).default_value);
}

}  // namespace maskkv
