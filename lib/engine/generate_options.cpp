#include "engine/generate_options.h"

#include <cmath>
#include <string>

#include "core/error.h"
#include "model/rope_scaling.h"

namespace maskkv {

namespace {

void check_range(double v, double lo, double hi, const char* name) {
  if (!(std::isfinite(v) && v >= lo && v <= hi))
    fail(Code::invalid_argument, std::string(name) + " = " + std::to_string(v) + " is outside [" +
                                     std::to_string(lo) + ", " + std::to_string(hi) + "]");
}

}  // namespace

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
