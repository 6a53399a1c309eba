// A small command-line parser: `--name value` options and `--flag` switches, each declared up
// front, so an unknown or misspelt option is a usage error naming it.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace cli {

// Thrown for usage errors; the command prints the message and where to find help, exit code 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Args {
 public:
  Args(std::set<std::string> options, std::set<std::string> flags)
      : options_(std::move(options)), flags_(std::move(flags)) {}

  void parse(int argc, char** argv);

  bool has(const std::string& name) const { return values_.count(name) || set_.count(name); }
  std::string str(const std::string& name, const std::string& fallback = "") const;
  int64_t integer(const std::string& name, int64_t fallback) const;
  // An integer in [lo, hi]; anything else is a usage error that names the range.
  int64_t integer_in(const std::string& name, int64_t fallback, int64_t lo, int64_t hi) const;
  uint64_t unsigned_integer(const std::string& name, uint64_t fallback) const;
  double number(const std::string& name, double fallback) const;
  // A number in [lo, hi]; anything else is a usage error that names the range.
  double number_in(const std::string& name, double fallback, double lo, double hi) const;
  // One of `choices`, returned as its index.
  int choice(const std::string& name, const std::vector<std::string>& choices, int fallback) const;
  // A comma-separated list of integers.
  std::vector<int32_t> int_list(const std::string& name) const;

 private:
  std::set<std::string> options_, flags_, set_;
  std::map<std::string, std::string> values_;
};

}  // namespace cli
