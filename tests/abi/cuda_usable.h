// For tests through the C ABI whose expectations depend on the machine: whether this build has
// the CUDA backend and a device to run it (a CUDA load of a fixture succeeds).
#pragma once

#include <string>

#include "maskkv.h"

namespace testabi {

inline bool cuda_usable() {
  static const bool usable = [] {
    maskkv_model_options o;
    maskkv_model_default_options(&o);
    o.backend = MASKKV_BACKEND_CUDA;
    maskkv_model* m = nullptr;
    const bool ok =
        maskkv_model_load((std::string(MASKKV_FIXTURES) + "/models/llada_f32").c_str(), &o, &m) == MASKKV_OK;
    maskkv_model_free(m);
    return ok;
  }();
  return usable;
}

}  // namespace testabi
