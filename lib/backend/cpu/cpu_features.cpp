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

bool has_amx_bf16() {
  static const bool supported = [] {
    if (!has_avx512_bf16()) return false;
    unsigned a, b, c, d;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
    constexpr unsigned kAmxBf16 = 1u << 22, kAmxTile = 1u << 24;
    if ((d & (kAmxBf16 | kAmxTile)) != (kAmxBf16 | kAmxTile)) return false;
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
  return supported;
}

Bf16Kernels bf16_kernels_from_env() {
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
