#include "backend/cuda/cublas_loader.h"

#include <dlfcn.h>

namespace maskkv::cuda {

const char* const kCublasLibraries[] = {"libcublas.so.13", "libcublas.so.12", "libcublas.so", nullptr};

namespace {

struct Loaded {
  CublasApi api{};
  std::string error;
  bool ok = false;
};

template <class F>
bool resolve(void* lib, const char* name, F& out, std::string& error) {
  out = reinterpret_cast<F>(dlsym(lib, name));
  if (!out) error = std::string("cuBLAS lacks ") + name;
  return out != nullptr;
}

Loaded load() {
  Loaded l;
  void* lib = nullptr;
  for (const char* const* name = kCublasLibraries; *name && !lib; ++name) lib = dlopen(*name, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    l.error = "cuBLAS could not be loaded (libcublas.so.13 not found: install the CUDA toolkit's cuBLAS or add "
              "its directory to LD_LIBRARY_PATH)";
    return l;
  }
  CublasApi& a = l.api;
  l.ok = resolve(lib, "cublasCreate_v2", a.create, l.error) && resolve(lib, "cublasDestroy_v2", a.destroy, l.error) &&
         resolve(lib, "cublasSetStream_v2", a.set_stream, l.error) &&
         resolve(lib, "cublasSetMathMode", a.set_math_mode, l.error) &&
         resolve(lib, "cublasSgemm_v2", a.sgemm, l.error) && resolve(lib, "cublasGemmEx", a.gemm_ex, l.error) &&
         resolve(lib, "cublasGemmStridedBatchedEx", a.gemm_strided_batched_ex, l.error) &&
         resolve(lib, "cublasGetStatusName", a.status_name, l.error);
  return l;  // the library stays loaded for the life of the process
}

}  // namespace

const CublasApi* cublas(std::string* why) {
  static const Loaded loaded = load();
  if (!loaded.ok && why) *why = loaded.error;
  return loaded.ok ? &loaded.api : nullptr;
}

}  // namespace maskkv::cuda
