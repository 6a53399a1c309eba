// Version and error reporting of the C ABI.
#include <string>

#include "api/guard.h"
#include "maskkv.h"

namespace maskkv::api {

namespace {
thread_local std::string last_error;
}

void set_last_error(const std::string& message) { last_error = message; }
void clear_last_error() { last_error.clear(); }

}  // namespace maskkv::api

extern "C" {

MASKKV_API const char* maskkv_version(void) { return MASKKV_VERSION_STRING_BUILD; }

MASKKV_API uint32_t maskkv_version_number(void) { return MASKKV_VERSION_NUMBER; }

MASKKV_API const char* maskkv_last_error(void) { return maskkv::api::last_error.c_str(); }

MASKKV_API const char* maskkv_status_name(maskkv_status status) {
  switch (status) {
    case MASKKV_OK: return "MASKKV_OK";
    case MASKKV_ERR_INVALID_ARGUMENT: return "MASKKV_ERR_INVALID_ARGUMENT";
    case MASKKV_ERR_IO: return "MASKKV_ERR_IO";
    case MASKKV_ERR_FORMAT: return "MASKKV_ERR_FORMAT";
    case MASKKV_ERR_UNSUPPORTED: return "MASKKV_ERR_UNSUPPORTED";
    case MASKKV_ERR_OUT_OF_RANGE: return "MASKKV_ERR_OUT_OF_RANGE";
    case MASKKV_ERR_OUT_OF_MEMORY: return "MASKKV_ERR_OUT_OF_MEMORY";
    case MASKKV_ERR_BUFFER_TOO_SMALL: return "MASKKV_ERR_BUFFER_TOO_SMALL";
    case MASKKV_ERR_CANCELLED: return "MASKKV_ERR_CANCELLED";
    case MASKKV_ERR_NOT_FOUND: return "MASKKV_ERR_NOT_FOUND";
    case MASKKV_ERR_INTERNAL: return "MASKKV_ERR_INTERNAL";
    default: return "MASKKV_ERR_UNKNOWN";
  }
}

}  // extern "C"
