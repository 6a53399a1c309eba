#include "engine/generate_options.h"

#include <cmath>
#include <string>
#include <type_traits>

#include "core/error.h"
#include "engine/option_scope.h"
#include "model/rope_scaling.h"
#include "options/option_values.h"

namespace maskkv {

namespace {

// Every option against its row of the option table (NAME = V is outside [MIN, MAX]).
void check_table_ranges(const GenerateOptions& o) {
  auto check = [](GenOpt id, const auto& value) {
    using T = std::decay_t<decltype(value)>;
    if constexpr (std::is_enum_v<T>)
      check_option_value(id, static_cast<double>(static_cast<std::underlying_type_t<T>>(value)));
    else if constexpr (std::is_arithmetic_v<T>)
      check_option_value(id, static_cast<double>(value));
  };
#define MASKKV_CHECK_OPTION(name, kind, def, lo, hi, member, choices, help) check(GenOpt::name, o.member);
  MASKKV_GENERATE_OPTIONS(MASKKV_CHECK_OPTION)
#undef MASKKV_CHECK_OPTION
}

}  // namespace

uint64_t cache_bytes_bound(const GenerateOptions& o, const ModelSpec& s, int64_t n_p) {
  const uint64_t f = sizeof(float), D = s.n_layers, dkv = uint64_t(s.n_kv_heads) * s.head_dim;
  const uint64_t L = static_cast<uint64_t>(o.gen_length), n = static_cast<uint64_t>(n_p) + L;
  const uint64_t layer_full_kv = n * dkv * 2 * f;  // one layer's K/V during a full pass
  if (o.cache.policy == Policy::none) return layer_full_kv;
  const uint64_t response = D * L * (2 * dkv + 2 * uint64_t(s.d_model)) * f;
  uint64_t prompt_pairs = static_cast<uint64_t>(n_p);
  if (evicts(o.cache.policy) && o.cache.budget < n_p) {
    // SqueezeAttention can give a layer more than B (at most D * B in total per head).
    const uint64_t per_head = o.cache.policy == Policy::squeezeattention ? D * o.cache.budget : o.cache.budget;
    prompt_pairs = std::min<uint64_t>(per_head, static_cast<uint64_t>(n_p));
  }
  const uint64_t kept = D * prompt_pairs * dkv * 2 * f;
  const bool deferred = o.cache.policy == Policy::squeezeattention ||
                        (o.cache.policy == Policy::maskkv && o.cache.online);
  // Deferred eviction holds every layer's full prompt K/V until the prefill ends.
  const uint64_t transient = deferred ? D * uint64_t(n_p) * dkv * 2 * f + layer_full_kv : layer_full_kv;
  return std::max(kept, transient) + response + layer_full_kv;
}

GenerateOptions resolve_options(const GenerateOptions& in, const ModelSpec& spec,
                                int64_t prompt_length) {
  GenerateOptions o = in;
  check_table_ranges(o);
  if (o.steps == 0) o.steps = o.gen_length;
  if (o.block_length == 0) o.block_length = o.gen_length;
  if (o.gen_length % o.block_length != 0)
    fail(Code::invalid_argument, "gen_length " + std::to_string(o.gen_length) +
                                     " is not divisible by block_length " + std::to_string(o.block_length));
  const int blocks = o.gen_length / o.block_length;
  if (o.steps % blocks != 0)
    fail(Code::invalid_argument, "steps " + std::to_string(o.steps) + " is not divisible by the " +
                                     std::to_string(blocks) + " blocks (gen_length / block_length)");
  if (o.sampler == SamplerKind::auto_select)
    o.sampler = spec.family == Family::dream ? SamplerKind::dream : SamplerKind::llada;
  // 0 = automatic: the LongLLaDA formula picks lambda for the sequence length (1 when it fits
  // the training context); a factor below 1e-3 would shrink the RoPE base to nothing.
  if (o.rope_scaling == 0) o.rope_scaling = rope_scaling_for_length(spec, prompt_length + o.gen_length);
  const double max_scaling = option_spec(GenOpt::rope_scaling).max;
  if (!(o.rope_scaling >= 1e-3 && o.rope_scaling <= max_scaling))
    fail(Code::invalid_argument, "rope_scaling = " + option_value_text(o.rope_scaling) + " is outside [0.001, " +
                                     option_value_text(max_scaling) + "] (0 = chosen for the length)");
  if (o.threshold > 0 && o.factor > 0)
    fail(Code::invalid_argument, "threshold and factor are two commit rules; choose one");
  if (o.sampler == SamplerKind::dream) {
    if (o.block_length != o.gen_length)
      fail(Code::unsupported, "block_length " + std::to_string(o.block_length) +
                                  " < gen_length: the Dream sampler has no blocks");
    if (o.cfg_scale > 0) fail(Code::unsupported, "cfg_scale: classifier-free guidance is a LLaDA sampler option");
    if (o.alg == DreamAlg::origin && (o.threshold > 0 || o.factor > 0))
      fail(Code::unsupported, "alg 'origin' has no confidence, so the threshold/factor rules do not apply");
  }
  const CacheOptions& c = o.cache;
  if (c.pool_kernel % 2 == 0)
    fail(Code::invalid_argument, "pool_kernel = " + std::to_string(c.pool_kernel) + " must be odd (a window centred on each key)");
  if (c.policy != Policy::none && o.cfg_scale > 0)
    fail(Code::unsupported, std::string("cfg_scale: classifier-free guidance runs only with policy none, not ") +
                                policy_name(c.policy));
  refuse_inert_options(o);
  const uint64_t need = cache_bytes_bound(o, spec, prompt_length);
  if (c.memory_limit > 0 && need > c.memory_limit)
    fail(Code::out_of_memory, "policy " + std::string(policy_name(c.policy)) + " needs up to " +
                                  std::to_string(need) + " bytes of K/V cache for this prompt, above the limit of " +
                                  std::to_string(c.memory_limit) + " (kv_memory_limit)");
  const int64_t context = context_length_for_scaling(spec, o.rope_scaling);
  if (prompt_length + o.gen_length > context)
    fail(Code::out_of_range, "prompt (" + std::to_string(prompt_length) + " tokens) + gen_length (" +
                                 std::to_string(o.gen_length) + ") = " +
                                 std::to_string(prompt_length + o.gen_length) +
                                 " exceeds the context of " + std::to_string(context) +
                                 " tokens (max_seq_len " + std::to_string(spec.max_seq_len) +
                                 ", rope_scaling " + std::to_string(o.rope_scaling) + ")");
  return o;
}

}  // namespace maskkv
