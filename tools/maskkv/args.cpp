#include "args.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace cli {

void Args::parse(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" && flags_.count("help")) {
      set_.insert("help");
      continue;
    }
    if (a.rfind("--", 0) != 0) throw UsageError("unexpected argument '" + a + "'");
    std::string name = a.substr(2), value;
    bool inline_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      inline_value = true;
    }
    if (flags_.count(name)) {
      if (inline_value) throw UsageError("--" + name + " takes no value");
      set_.insert(name);
    } else if (options_.count(name)) {
      if (!inline_value) {
        if (i + 1 >= argc) throw UsageError("--" + name + " needs a value");
        value = argv[++i];
      }
      values_[name] = value;
    } else {
      throw UsageError("unknown option '--" + name + "'");
    }
  }
}

std::string Args::str(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

int64_t Args::integer(const std::string& name, int64_t fallback) const {
  return integer_in(name, fallback, INT32_MIN, INT32_MAX);
}

int64_t Args::integer_in(const std::string& name, int64_t fallback, int64_t lo, int64_t hi) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(it->second.c_str(), &end, 10);
  if (it->second.empty() || *end != '\0')
    throw UsageError("--" + name + " expects an integer, got '" + it->second + "'");
  if (errno == ERANGE || v < lo || v > hi)
    throw UsageError("--" + name + " " + it->second + " is out of range: it must be between " +
                     std::to_string(lo) + " and " + std::to_string(hi));
  return v;
}

uint64_t Args::unsigned_integer(const std::string& name, uint64_t fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(it->second.c_str(), &end, 10);
  if (it->second.empty() || it->second[0] == '-' || *end != '\0' || errno == ERANGE)
    throw UsageError("--" + name + " expects a non-negative integer, got '" + it->second + "'");
  return v;
}

double Args::number(const std::string& name, double fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  char* end = nullptr;
  double v = std::strtod(it->second.c_str(), &end);
  if (it->second.empty() || *end != '\0' || !std::isfinite(v))
    throw UsageError("--" + name + " expects a number, got '" + it->second + "'");
  return v;
}

double Args::number_in(const std::string& name, double fallback, double lo, double hi) const {
  const double v = number(name, fallback);
  if (has(name) && !(v >= lo && v <= hi)) {
    char range[64];
    std::snprintf(range, sizeof range, "%g and %g", lo, hi);
    throw UsageError("--" + name + " " + str(name) + " is out of range: it must be between " + range);
  }
  return v;
}

int Args::choice(const std::string& name, const std::vector<std::string>& choices,
                 int fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  for (size_t i = 0; i < choices.size(); ++i)
    if (choices[i] == it->second) return static_cast<int>(i);
  std::string all;
  for (const auto& c : choices) all += (all.empty() ? "" : "|") + c;
  throw UsageError("--" + name + " must be one of " + all + ", got '" + it->second + "'");
}

std::vector<int32_t> Args::int_list(const std::string& name) const {
  std::vector<int32_t> out;
  std::string s = str(name);
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t comma = s.find(',', pos);
    std::string item = s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || errno == ERANGE || v < INT32_MIN || v > INT32_MAX)
      throw UsageError("--" + name + ": '" + item + "' is not an integer id");
    out.push_back(static_cast<int32_t>(v));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

}  // namespace cli
