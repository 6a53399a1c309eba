// The boundary between C++ and the C ABI: every exported function runs its body through
// guard(), which turns any exception into a maskkv_status and records the message for
// maskkv_last_error() on this thread.
#pragma once

#include <new>
#include <string>

#include "core/error.h"
#include "maskkv.h"

namespace maskkv::api {

// Records the message returned by maskkv_last_error() on this thread.
void set_last_error(const std::string& message);
void clear_last_error();

template <class F>
maskkv_status guard(F&& body) {
  try {
    clear_last_error();
    body();
    return MASKKV_OK;
  } catch (const Error& e) {
    set_last_error(e.what());
    return static_cast<maskkv_status>(e.code());
  } catch (const std::bad_alloc&) {
    set_last_error("out of memory");
    return MASKKV_ERR_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    set_last_error(std::string("internal error: ") + e.what());
    return MASKKV_ERR_INTERNAL;
  } catch (...) {
    set_last_error("internal error: unknown exception");
    return MASKKV_ERR_INTERNAL;
  }
}

// Throws invalid_argument naming `what` when p is NULL.
inline void require_arg(const void* p, const char* what) {
  check(p != nullptr, Code::invalid_argument, std::string(what) + " must not be NULL");
}

// Copies n items into a caller buffer under the size query convention of maskkv.h.
template <class T>
void copy_out(const T* src, size_t n, T* dst, size_t capacity, size_t* n_out, const char* what) {
  require_arg(n_out, what);
  *n_out = n;
  if (n > 0 && (dst == nullptr || capacity < n))
    fail(Code::buffer_too_small, std::string(what) + ": buffer holds " + std::to_string(capacity) +
                                     " but " + std::to_string(n) + " are needed");
  for (size_t i = 0; i < n; ++i) dst[i] = src[i];
}

}  // namespace maskkv::api
