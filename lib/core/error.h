// Errors inside the engine are exceptions carrying a status code that matches maskkv_status;
// the C ABI (lib/api/guard.h) converts them to a status and a thread-local message.
#pragma once

#include <stdexcept>
#include <string>

namespace maskkv {

enum class Code : int {
  ok = 0,
  invalid_argument = 1,
  io = 2,
  format = 3,
  unsupported = 4,
  out_of_range = 5,
  out_of_memory = 6,
  buffer_too_small = 7,
  cancelled = 8,
  not_found = 9,
  internal = 10,
};

class Error : public std::runtime_error {
 public:
  Error(Code code, const std::string& message) : std::runtime_error(message), code_(code) {}
  Code code() const { return code_; }

 private:
  Code code_;
};

[[noreturn]] inline void fail(Code code, const std::string& message) { throw Error(code, message); }

// check(cond, code, msg): throws Error(code, msg) when cond is false.
inline void check(bool condition, Code code, const std::string& message) {
  if (!condition) fail(code, message);
}

}  // namespace maskkv
