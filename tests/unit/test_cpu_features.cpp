// MASKKV_CPU_AMX: `off` takes every CPU kernel off AMX (the bf16 default, the bf16 kernels'
// tile path, the quantized kernel choice); `auto` and unset leave the CPU's own answer; any other
// value is refused by name, at the latest when a CPU backend is made.
#include <gtest/gtest.h>

#include <string>

#include "backend/backend.h"
#include "backend/cpu/cpu_features.h"
#include "backend/cpu/quant_gemm.h"
#include "core/error.h"
#include "test_util.h"

using namespace maskkv;
using testutil::ScopedEnv;

TEST(CpuFeatures, AmxOffKeepsEveryKernelOffAmx) {
  ScopedEnv bf16("MASKKV_CPU_BF16", nullptr);
  bool amx_here = false;
  {
    ScopedEnv amx("MASKKV_CPU_AMX", nullptr);
    amx_here = cpu::has_amx_int8();
    EXPECT_EQ(cpu::bf16_kernels_from_env(),
              cpu::has_amx_bf16() ? cpu::Bf16Kernels::accurate : cpu::Bf16Kernels::portable);
  }
  {
    ScopedEnv amx("MASKKV_CPU_AMX", "auto");
    EXPECT_TRUE(cpu::amx_allowed_by_env());
    EXPECT_EQ(cpu::has_amx_int8(), amx_here);
  }
  ScopedEnv amx("MASKKV_CPU_AMX", "off");
  EXPECT_FALSE(cpu::amx_allowed_by_env());
  EXPECT_FALSE(cpu::has_amx_bf16());
  EXPECT_FALSE(cpu::has_amx_int8());
  EXPECT_EQ(cpu::bf16_kernels_from_env(), cpu::Bf16Kernels::portable);
  for (DType t : {DType::q8_0_x16, DType::q4_0_x16})
    for (int64_t m : {1, 8, 32, 64}) EXPECT_NE(cpu::interleaved_gemm_for(t, m), cpu::quant_gemm_x16_amx) << m;
  if (!amx_here) GTEST_SKIP() << "this CPU (or OS) offers no AMX-INT8: `off` could not change anything here";
}

TEST(CpuFeatures, UnknownAmxSettingIsRefused) {
  ScopedEnv bf16("MASKKV_CPU_BF16", nullptr);
  ScopedEnv amx("MASKKV_CPU_AMX", "no");
  for (auto check : {+[] { cpu::amx_allowed_by_env(); }, +[] { cpu::bf16_kernels_from_env(); }}) {
    try {
      check();
      FAIL() << "MASKKV_CPU_AMX=no was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Code::invalid_argument);
      EXPECT_NE(std::string(e.what()).find("MASKKV_CPU_AMX='no' is not one of auto, off"), std::string::npos)
          << e.what();
    }
  }
  EXPECT_THROW(make_cpu_backend(1), Error);
}
