// Reading the size-prefixed option structs of maskkv.h: a caller built against an older header
// passes a smaller struct, and the fields it lacks keep their defaults.
#pragma once

#include <cstring>
#include <string>

#include "api/guard.h"

namespace maskkv::api {

// Returns the caller's options merged over the defaults; NULL means all defaults. A size below
// the first field's end, or above what this library knows plus a sane margin, is rejected.
template <class T>
T read_options(const T* given, void (*defaults)(T*), const char* what) {
  T out;
  defaults(&out);
  if (given == nullptr) return out;
  const uint32_t size = given->size;
  // Every field is 4 or 8 bytes on a 4-byte boundary: a size that is not a multiple of 4 cuts
  // one (the 8-byte fields are checked by the callers that have them).
  if (size < sizeof(uint32_t) + sizeof(int32_t) || size > sizeof(T) + 4096 || size % 4 != 0)
    fail(Code::invalid_argument, std::string(what) + ".size = " + std::to_string(size) +
                                     " is not a valid struct size (this library's is " +
                                     std::to_string(sizeof(T)) +
                                     "; initialise it with the matching *_default_options())");
  std::memcpy(&out, given, size < sizeof(T) ? size : sizeof(T));
  out.size = sizeof(T);
  return out;
}

}  // namespace maskkv::api
