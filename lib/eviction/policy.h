// Which prompt K/V a generation keeps, and how its features are cached across steps.
#pragma once

#include <memory>
#include <string>

#include "eviction/profile.h"

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

struct CacheOptions {
  Policy policy = Policy::none;
  int budget = 256;          // average prompt K/V pairs kept per head
  int prompt_refresh = 0;    // Kp; 0 = the family default (LLaDA 50, Dream 25)
  int response_refresh = 0;  // Kr; 0 = the family default (LLaDA 5, Dream 2)
  double rho = 0.25;         // share of response tokens refreshed by partial updates
  double alpha = 0.1;        // MaskKV head allocation mix
  double beta = 0.4;         // MaskKV base share of the budget
  int window = 32;           // SnapKV observation window
  int pool_kernel = 7;       // SnapKV pooling kernel (odd)
  bool avg_pool = false;     // SnapKV average instead of max pooling
  bool online = false;       // MaskKV: budgets from this prompt instead of a profile
  std::shared_ptr<const Profile> profile;  // MaskKV offline budgets
  uint64_t memory_limit = 0;  // bytes of K/V + feature cache at the peak; 0 = unlimited
};

}  // namespace maskkv
