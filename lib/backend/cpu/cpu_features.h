// Run-time choice of the CPU backend's bf16 kernels. The library is built for x86-64-v3
// (AVX2/FMA); the AVX512-BF16 kernels (bf16_gemm_avx512.cpp) run only where the CPU and the OS
// support them, which is checked once per process.
#pragma once

namespace maskkv::cpu {

// True when the CPU has AVX512F, AVX512BW, AVX512VL and AVX512_BF16 and the OS saves the AVX-512
// registers.
bool has_avx512_bf16();

// True when the CPU has AVX512F, AVX512BW, AVX512VL and AVX512-VNNI and the OS saves the AVX-512
// registers (the quantized GEMM's VNNI kernels, quant_gemm.h).
bool has_avx512_vnni();

// Whether the environment lets kernels use AMX: the variable MASKKV_CPU_AMX unset, empty or
// `auto` lets them wherever the CPU has it; `off` keeps every CPU kernel off AMX, so that this
// process computes as on a CPU with the same AVX-512 but no AMX (bf16 weights then default to
// `portable`, `accurate` and `fast` use their AVX-512 kernels, quantized weights the AVX512-VNNI
// kernel). Read on every check, as kernels are chosen call by call: set it before a model is
// loaded. Throws Error(invalid_argument) for another value.
bool amx_allowed_by_env();

// True when, in addition, the CPU has AMX-TILE and AMX-BF16, the OS enables the tile state,
// Linux granted this process the use of AMX tile data (arch_prctl ARCH_REQ_XCOMP_PERM, asked
// once, on the first call) and amx_allowed_by_env() holds.
bool has_amx_bf16();

// True when the CPU has AVX512-VNNI (above), AMX-TILE and AMX-INT8, with the same OS support,
// permission and environment (the quantized GEMM's tile kernel, quant_gemm.h).
bool has_amx_int8();

// How linear layers with bf16 weights (and, in `fast`, attention) compute:
//   portable  the weights converted to f32 tile by tile, OpenBLAS sgemm; f32 attention. Any
//             x86-64-v3 CPU; the only choice for f32 and f16 weights.
//   accurate  the bf16 weights read in place, f32 activations, attention as portable. With AMX,
//             tile products (TDPBF16PS) on the activations split into three bf16 parts, which
//             carry their 24 significant bits; without AMX (or for a layer whose sizes do not fit
//             AMX tiles: inputs not a multiple of 32, outputs not a multiple of 16), AVX-512 f32
//             kernels that widen the weights exactly. Results agree with `portable` to f32
//             rounding.
//   fast      activations rounded once to bf16 (nearest even), as a PyTorch bf16 matmul rounds
//             its inputs, f32 accumulation: AMX tile products where available, else vdpbf16ps;
//             also attention's Q K^T and P V (vdpbf16ps, softmax in f32) on every model.
enum class Bf16Kernels { portable, accurate, fast };

// The kernels selected by the environment variable MASKKV_CPU_BF16 (`portable`, `accurate` or
// `fast`); unset or empty means `accurate` where has_amx_bf16() holds and `portable` elsewhere
// (on CPUs without AMX the AVX-512 kernels are not reliably faster than OpenBLAS: on a Sapphire
// Rapids-class Xeon vdpbf16ps runs at half the f32 FMA rate).
// Throws Error(invalid_argument) for another value (of MASKKV_CPU_BF16 or MASKKV_CPU_AMX, both
// checked here, when a CPU backend is made) and Error(unsupported) for `accurate` or `fast` on a
// CPU without AVX512-BF16.
Bf16Kernels bf16_kernels_from_env();

const char* to_string(Bf16Kernels kernels);

}  // namespace maskkv::cpu
