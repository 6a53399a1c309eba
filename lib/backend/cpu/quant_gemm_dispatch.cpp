// Which quantized GEMM kernel runs on this CPU (cpu/quant_gemm.h): chosen from the run-time CPU
// checks of cpu_features.h, so that no kernel runs on a CPU without its instructions.
#include "backend/cpu/cpu_features.h"
#include "backend/cpu/quant_gemm.h"

namespace maskkv::cpu {

QuantGemmFn quant_gemm_best() { return has_avx512_vnni() ? quant_gemm_vnni : quant_gemm_avx2; }
const char* quant_gemm_best_name() { return has_avx512_vnni() ? "vnni" : "avx2"; }
bool quant_weights_interleaved() { return has_avx512_vnni(); }

InterleavedGemmFn interleaved_gemm_for(DType interleaved, int64_t m) {
  // Interleaved weights are made only on CPUs with AVX512-VNNI; the reference serves any other
  // caller that builds them.
  if (has_amx_int8() && m >= amx_min_rows(interleaved)) return quant_gemm_x16_amx;
  return has_avx512_vnni() ? quant_gemm_x16_vnni : quant_gemm_x16_ref;
}

}  // namespace maskkv::cpu
