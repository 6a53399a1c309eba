#include "eviction/policy.h"

#include <vector>

#include "core/error.h"
#include "options/option_values.h"

namespace maskkv {

namespace {
// The policy names are the value names of the option table's `policy` row.
const std::vector<std::string>& names() {
  static const std::vector<std::string> n = option_choices(option_spec(GenOpt::policy));
  return n;
}
}  // namespace

const char* policy_name(Policy p) {
  const size_t i = static_cast<size_t>(p);
  return i < names().size() ? names()[i].c_str() : "unknown";
}

Policy parse_policy(const std::string& name) {
  std::string known;
  for (size_t i = 0; i < names().size(); ++i) {
    if (name == names()[i]) return static_cast<Policy>(i);
    known += (i ? ", " : "") + names()[i];
  }
  fail(Code::invalid_argument, "unknown policy '" + name + "' (known: " + known + ")");
}

bool evicts(Policy p) { return p != Policy::none && p != Policy::full; }

}  // namespace maskkv
