// cuBLAS, loaded at run time (dlopen) rather than linked: libmaskkv.so then needs no CUDA
// library to load, so one build (and one .deb) serves machines with and without a GPU. cudart is
// linked statically and itself loads the driver only when used.
#pragma once

#include <cublas_v2.h>

#include <string>

namespace maskkv::cuda {

struct CublasApi {
  decltype(&cublasCreate_v2) create;
  decltype(&cublasDestroy_v2) destroy;
  decltype(&cublasSetStream_v2) set_stream;
  decltype(&cublasSetMathMode) set_math_mode;
  decltype(&cublasSgemm_v2) sgemm;
  // The exported C entry points (the header also declares C++ overloads of these names that
  // take a cudaDataType compute type; those are inline wrappers, not library symbols).
  cublasStatus_t (*gemm_ex)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int, const void*,
                            const void*, cudaDataType, int, const void*, cudaDataType, int, const void*, void*,
                            cudaDataType, int, cublasComputeType_t, cublasGemmAlgo_t);
  cublasStatus_t (*gemm_strided_batched_ex)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int,
                                            const void*, const void*, cudaDataType, int, long long int,
                                            const void*, cudaDataType, int, long long int, const void*, void*,
                                            cudaDataType, int, long long int, int, cublasComputeType_t,
                                            cublasGemmAlgo_t);
  decltype(&cublasGetStatusName) status_name;
};

// The loaded API, or null with the reason in *why (library or an entry point missing). Loaded
// once per process; thread-safe.
const CublasApi* cublas(std::string* why = nullptr);

// The library names tried, newest first.
extern const char* const kCublasLibraries[];

}  // namespace maskkv::cuda
