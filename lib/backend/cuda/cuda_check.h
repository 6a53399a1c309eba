// CUDA and cuBLAS status checks: a failure becomes an Error naming the call (out_of_memory
// for allocation failures), never an abort.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <string>

#include "backend/cuda/cublas_loader.h"
#include "core/error.h"

namespace maskkv::cuda {

inline void check(cudaError_t e, const char* what) {
  if (e == cudaSuccess) return;
  cudaGetLastError();  // clear a sticky-free error so later calls can go on
  const Code code = e == cudaErrorMemoryAllocation ? Code::out_of_memory : Code::internal;
  fail(code, std::string("CUDA error in ") + what + ": " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")");
}

inline void check(cublasStatus_t s, const char* what) {
  if (s == CUBLAS_STATUS_SUCCESS) return;
  const Code code = s == CUBLAS_STATUS_ALLOC_FAILED ? Code::out_of_memory : Code::internal;
  const CublasApi* api = cublas();
  fail(code, std::string("cuBLAS error in ") + what + ": " + (api ? api->status_name(s) : "unknown status"));
}

// After a kernel launch.
inline void check_launch(const char* what) { check(cudaGetLastError(), what); }

}  // namespace maskkv::cuda
