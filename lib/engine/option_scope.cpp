#include "engine/option_scope.h"

#include <string>

#include "core/error.h"

namespace maskkv {
namespace {

[[noreturn]] void inert(const std::string& option, const std::string& why) {
  fail(Code::unsupported, option + " has no effect here: " + why + "; leave it at its default");
}

// The C ABI carries these options as float: compare at that precision.
bool differs(double a, double b) { return static_cast<float>(a) != static_cast<float>(b); }

}  // namespace

void refuse_inert_options(const GenerateOptions& o) {
  const GenerateOptions d;
  if (o.sampler == SamplerKind::llada) {
    const std::string why = "it is a Dream sampler option and this generation uses the LLaDA sampler";
    if (o.top_k != d.top_k) inert("top_k", why);
    if (differs(o.top_p, d.top_p)) inert("top_p", why);
    if (o.alg != d.alg) inert("alg", why);
    if (differs(o.alg_temp, d.alg_temp)) inert("alg_temp", why);
  } else {
    const std::string why = "it is a LLaDA sampler option and this generation uses the Dream sampler";
    if (o.remasking != d.remasking) inert("remasking", why);
    if (o.eos_logit_inf) inert("eos_logit_inf", why);
    if (o.eos_confidence_inf) inert("eos_confidence_inf", why);
  }
  const CacheOptions& c = o.cache;
  const CacheOptions dc;
  const std::string policy = std::string("policy ") + policy_name(c.policy);
  if (c.policy != Policy::maskkv) {
    if (c.profile) inert("profile", "a calibration profile is read only by policy maskkv, not " + policy);
    if (c.online) inert("online", "online budgets belong to policy maskkv, not " + policy);
    if (differs(c.alpha, dc.alpha)) inert("alpha", "it is a policy maskkv allocation option, not one of " + policy);
    if (differs(c.beta, dc.beta)) inert("beta", "it is a policy maskkv allocation option, not one of " + policy);
  } else if (c.profile && c.online) {
    fail(Code::invalid_argument,
         "policy maskkv takes its budgets from a profile or from the prompt (online), not both");
  }
  if (!evicts(c.policy) && c.budget != dc.budget)
    inert("budget", policy + " keeps every prompt K/V pair, so there is no budget");
  const bool snap_family = c.policy == Policy::snapkv || c.policy == Policy::pyramidkv ||
                           c.policy == Policy::squeezeattention || c.policy == Policy::adakv;
  if (!snap_family) {
    const std::string why = "the observation window belongs to snapkv, pyramidkv, squeezeattention and adakv, not " + policy;
    if (c.window != dc.window) inert("window", why);
    if (c.pool_kernel != dc.pool_kernel) inert("pool_kernel", why);
  }
  if (c.policy == Policy::none) {
    const std::string why = "policy none recomputes every step and keeps no feature cache to refresh";
    if (c.prompt_refresh != dc.prompt_refresh) inert("prompt_refresh", why);
    if (c.response_refresh != dc.response_refresh) inert("response_refresh", why);
    if (differs(c.rho, dc.rho)) inert("rho", why);
  }
}

}  // namespace maskkv
