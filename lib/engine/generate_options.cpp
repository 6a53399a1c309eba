#include "engine/generate_options.h"

#include <charconv>
#include <cmath>
#include <string>

#include "core/error.h"
#include "engine/option_scope.h"
#include "model/rope_scaling.h"

namespace maskkv {

namespace {

// The shortest text that reads back as v (1e-09, not 0.000000); as a float when v is one (the
// C ABI's option fields are floats: 1e-10f prints as 1e-10, not 1.000000013351432e-10).
std::string shortest(double v) {
  char buf[32];
  const float f = static_cast<float>(v);
  auto r = static_cast<double>(f) == v ? std::to_chars(buf, buf + sizeof buf, f)
                                       : std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

void check_range(double v, double lo, double hi, const char* name) {
  if (!(std::isfinite(v) && v >= lo && v <= hi))
    fail(Code::invalid_argument, std::string(name) + " = " + shortest(v) + " is outside [" +
                                     shortest(lo) + ", " + shortest(hi) + "]");
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
  if (o.gen_length < 1 || o.gen_length > (1 << 20))
    fail(Code::invalid_argument, "gen_length = " + std::to_string(o.gen_length) + " must be in [1, 1048576]");
  if (o.steps == 0) o.steps = o.gen_length;
  if (o.block_length == 0) o.block_length = o.gen_length;
  if (o.steps < 1 || o.steps > (1 << 20))
    fail(Code::invalid_argument, "steps = " + std::to_string(o.steps) + " must be in [1, 1048576]");
  if (o.block_length < 1)
    fail(Code::invalid_argument, "block_length = " + std::to_string(o.block_length) + " must be positive");
  if (o.gen_length % o.block_length != 0)
    fail(Code::invalid_argument, "gen_length " + std::to_string(o.gen_length) +
                                     " is not divisible by block_length " + std::to_string(o.block_length));
  const int blocks = o.gen_length / o.block_length;
  if (o.steps % blocks != 0)
    fail(Code::invalid_argument, "steps " + std::to_string(o.steps) + " is not divisible by the " +
                                     std::to_string(blocks) + " blocks (gen_length / block_length)");
  if (o.sampler == SamplerKind::auto_select)
    o.sampler = spec.family == Family::dream ? SamplerKind::dream : SamplerKind::llada;
  if (o.sampler != SamplerKind::llada && o.sampler != SamplerKind::dream)
    fail(Code::invalid_argument, "unknown sampler " + std::to_string(static_cast<int>(o.sampler)));
  if (o.remasking != Remasking::low_confidence && o.remasking != Remasking::random)
    fail(Code::invalid_argument, "unknown remasking " + std::to_string(static_cast<int>(o.remasking)));
  if (static_cast<int>(o.alg) < 0 || static_cast<int>(o.alg) > 3)
    fail(Code::invalid_argument, "unknown alg " + std::to_string(static_cast<int>(o.alg)));
  check_range(o.temperature, 0, 100, "temperature");
  check_range(o.alg_temp, 0, 100, "alg_temp");
  check_range(o.top_p, 1e-9, 1, "top_p");
  if (o.top_k < 0) fail(Code::invalid_argument, "top_k = " + std::to_string(o.top_k) + " must be >= 0");
  check_range(o.cfg_scale, 0, 1000, "cfg_scale");
  check_range(o.threshold, 0, 1, "threshold");
  check_range(o.factor, 0, 1000, "factor");
  // 0 = automatic: the LongLLaDA formula picks lambda for the sequence length (1 when it fits
  // the training context).
  if (o.rope_scaling == 0) o.rope_scaling = rope_scaling_for_length(spec, prompt_length + o.gen_length);
  check_range(o.rope_scaling, 1e-3, 1e6, "rope_scaling");
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
  if (c.budget < 1)
    fail(Code::invalid_argument, "budget = " + std::to_string(c.budget) + " must be a positive number of K/V pairs per head");
  if (c.prompt_refresh < 0 || c.response_refresh < 0)
    fail(Code::invalid_argument, "prompt_refresh / response_refresh must be >= 1 (0 = the family default)");
  check_range(c.rho, 0, 1, "rho");
  check_range(c.alpha, 0, 1, "alpha");
  check_range(c.beta, 0, 1, "beta");
  if (c.window < 1) fail(Code::invalid_argument, "window = " + std::to_string(c.window) + " must be >= 1");
  if (c.pool_kernel < 1 || c.pool_kernel % 2 == 0 || c.pool_kernel > 1001)
    fail(Code::invalid_argument, "pool_kernel = " + std::to_string(c.pool_kernel) + " must be odd, in [1, 1001]");
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
