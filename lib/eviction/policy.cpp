#include "eviction/policy.h"

#include "core/error.h"

namespace maskkv {

namespace {
const char* kNames[] = {"none", "full", "maskkv", "snapkv", "pyramidkv", "squeezeattention", "adakv"};
}

const char* policy_name(Policy p) { return kNames[static_cast<int>(p)]; }

Policy parse_policy(const std::string& name) {
  for (int i = 0; i < 7; ++i)
    if (name == kNames[i]) return static_cast<Policy>(i);
  fail(Code::invalid_argument, "unknown policy '" + name +
                                   "' (known: none, full, maskkv, snapkv, pyramidkv, "
                                   "squeezeattention, adakv)");
}

bool evicts(Policy p) { return p != Policy::none && p != Policy::full; }

}  // namespace maskkv
