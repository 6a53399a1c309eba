#include "backend/cpu/cpu_features.h"

#include <cpuid.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/error.h"

namespace maskkv::cpu {

bool has_avx512_bf16() {
  // libgcc's CPU model also checks (xgetbv) that the OS enabled the AVX-512 register state.
  static const bool supported = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bf16");
  }();
  return supported;
}

bool has_avx512_vnni() {
  static const bool supported = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
  }();
  return supported;
}

namespace {

// CPUID leaf 7 EDX feature bits.
bool cpuid7_edx_has(unsigned bits) {
  unsigned a, b, c, d;
  return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (d & bits) == bits;
}

// AMX tiles usable by this process: the CPU has AMX-TILE, the OS manages the tile state, and
// Linux granted the use of tile data (asked once).
bool amx_tiles_usable() {
  static const bool usable = [] {
    constexpr unsigned kAmxTile = 1u << 24;
    if (!cpuid7_edx_has(kAmxTile)) return false;
    // XCR0 bits 17 and 18: the OS manages the tile configuration and tile data.
    uint32_t lo, hi;
    __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & (3u << 17)) != (3u << 17)) return false;
#if defined(__linux__) && defined(SYS_arch_prctl)
    constexpr long kReqXcompPerm = 0x1023, kXfeatureTileData = 18;
    return syscall(SYS_arch_prctl, kReqXcompPerm, kXfeatureTileData) == 0;
#else
    return false;
#endif
  }();
  return usable;
}

}  // namespace

bool amx_allowed_by_env() {
  const char* env = std::getenv("MASKKV_CPU_AMX");
  if (!env || !*env || std::strcmp(env, "auto") == 0) return true;
  if (std::strcmp(env, "off") == 0) return false;
  fail(Code::invalid_argument, std::string("MASKKV_CPU_AMX='") + env + "' is not one of auto, off");
}

bool has_amx_bf16() {
  static const bool supported = has_avx512_bf16() && cpuid7_edx_has(1u << 22) && amx_tiles_usable();
  return supported && amx_allowed_by_env();
}

bool has_amx_int8() {
  static const bool supported = has_avx512_vnni() && cpuid7_edx_has(1u << 25) && amx_tiles_usable();
  return supported && amx_allowed_by_env();
}

Bf16Kernels bf16_kernels_from_env() {
  amx_allowed_by_env();  // a wrong MASKKV_CPU_AMX fails the model load, not its first layer
  const char* env = std::getenv("MASKKV_CPU_BF16");
  if (!env || !*env) return has_amx_bf16() ? Bf16Kernels::accurate : Bf16Kernels::portable;
  for (Bf16Kernels k : {Bf16Kernels::portable, Bf16Kernels::accurate, Bf16Kernels::fast}) {
    if (std::strcmp(env, to_string(k)) != 0) continue;
    if (k != Bf16Kernels::portable && !has_avx512_bf16())
      fail(Code::unsupported, std::string("MASKKV_CPU_BF16=") + env +
                                  " needs a CPU with AVX512-BF16, which this one lacks; use portable");
    return k;
  }
  fail(Code::invalid_argument, std::string("MASKKV_CPU_BF16='") + env +
                                   "' is not one of portable, accurate, fast");
}

const char* to_string(Bf16Kernels kernels) {
  switch (kernels) {
    case Bf16Kernels::portable: return "portable";
    case Bf16Kernels::accurate: return "accurate";
    case Bf16Kernels::fast: return "fast";
  }
  return "?";
}

}  // namespace maskkv::cpu
