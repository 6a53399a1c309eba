// Builds without the CUDA backend (MASKKV_CUDA=OFF): say so when CUDA is asked for.
#include <memory>
#include <string>

#include "backend/backend.h"
#include "core/error.h"

namespace maskkv {

bool cuda_available(std::string* why) {
  if (why) *why = "this build of maskkv has no CUDA backend (configured with MASKKV_CUDA=OFF)";
  return false;
}

std::unique_ptr<Backend> make_cuda_backend(int) {
  fail(Code::unsupported, "backend 'cuda' requested, but this build of maskkv has no CUDA backend "
                          "(configured with MASKKV_CUDA=OFF); use backend 'cpu' or 'auto'");
}

}  // namespace maskkv
