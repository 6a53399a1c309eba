#include "options/option_values.h"

#include <charconv>
#include <cmath>
#include <cstdint>

#include "core/error.h"

namespace maskkv {

std::vector<std::string> option_choices(const OptionSpec& spec) {
  std::vector<std::string> out;
  if (spec.kind != OptionKind::choice) return out;
  const std::string all = spec.choices;
  size_t begin = 0;
  while (true) {
    const size_t bar = all.find('|', begin);
    out.push_back(all.substr(begin, bar == std::string::npos ? std::string::npos : bar - begin));
    if (bar == std::string::npos) return out;
    begin = bar + 1;
  }
}

std::string option_value_text(double v) {
  if (std::isfinite(v) && v == std::trunc(v) && std::fabs(v) < 9.007199254740992e15)
    return std::to_string(static_cast<int64_t>(v));
  char buf[32];
  const float f = static_cast<float>(v);
  auto r = static_cast<double>(f) == v ? std::to_chars(buf, buf + sizeof buf, f)
                                       : std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

void check_option_value(GenOpt id, double v) {
  const OptionSpec& s = option_spec(id);
  if (s.kind == OptionKind::flag || s.kind == OptionKind::unsigned64 || s.kind == OptionKind::profile) return;
  if (std::isfinite(v) && v >= s.min && v <= s.max) return;
  std::string message = std::string(s.name) + " = " + option_value_text(v) + " is outside [" +
                        option_value_text(s.min) + ", " + option_value_text(s.max) + "]";
  if (s.kind == OptionKind::choice) {
    std::string names;
    for (const std::string& c : option_choices(s)) names += (names.empty() ? "" : ", ") + c;
    message += " (" + names + ")";
  }
  fail(Code::invalid_argument, message);
}

}  // namespace maskkv
