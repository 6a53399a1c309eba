// Which prompt K/V a generation keeps, and how its features are cached across steps.
#pragma once

#include <memory>
#include <string>

#include "eviction/profile.h"
#include "options/generate_option_table.h"

namespace maskkv {

enum class Policy : int {
  none = 0,              // vanilla: the whole sequence through the model at every step
  full = 1,              // dLLM-Cache, no eviction
  maskkv = 2,            // mask voting + layer/head budgets (profile or online)
  snapkv = 3,
  pyramidkv = 4,
  squeezeattention = 5,
  adakv = 6,
};

const char* policy_name(Policy p);
// Throws Error(invalid_argument) naming the unknown policy and the known ones.
Policy parse_policy(const std::string& name);
bool evicts(Policy p);

// Defaults from the option table (options/generate_option_table.h).
struct CacheOptions {
  Policy policy = option_default<Policy>(GenOpt::policy);
  int budget = option_default<int>(GenOpt::budget);                      // average prompt K/V pairs kept per head
  int prompt_refresh = option_default<int>(GenOpt::prompt_refresh);      // Kp; 0 = the family default (LLaDA 50, Dream 25)
  int response_refresh = option_default<int>(GenOpt::response_refresh);  // Kr; 0 = the family default (LLaDA 5, Dream 2)
  double rho = option_default<double>(GenOpt::rho);      // share of response tokens refreshed by partial updates
  double alpha = option_default<double>(GenOpt::alpha);  // MaskKV head allocation mix
  double beta = option_default<double>(GenOpt::beta);    // MaskKV base share of the budget
  int window = option_default<int>(GenOpt::window);            // SnapKV observation window
  int pool_kernel = option_default<int>(GenOpt::pool_kernel);  // SnapKV pooling kernel (odd)
  bool avg_pool = false;                                       // SnapKV average instead of max pooling
  bool online = option_default<bool>(GenOpt::online);  // MaskKV: budgets from this prompt instead of a profile
  std::shared_ptr<const Profile> profile;              // MaskKV offline budgets
  uint64_t memory_limit = option_default<uint64_t>(GenOpt::kv_memory_limit);  // bytes at the peak; 0 = unlimited
};

}  // namespace maskkv
