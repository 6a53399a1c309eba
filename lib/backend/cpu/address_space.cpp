#include "backend/cpu/address_space.h"

#include <string>

#include "core/error.h"

#ifndef _WIN32
#include <sys/mman.h>
#include <sys/resource.h>
#endif

namespace maskkv::cpu {

void check_address_space(uint64_t bytes, int n_threads) {
#ifndef _WIN32
  struct rlimit lim {};
  if (::getrlimit(RLIMIT_AS, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) return;
  void* p = ::mmap(nullptr, static_cast<size_t>(bytes), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
  if (p != MAP_FAILED) {
    ::munmap(p, static_cast<size_t>(bytes));
    return;
  }
  auto mib = [](uint64_t b) { return std::to_string(b >> 20) + " MiB"; };
  fail(Code::out_of_memory,
       "out of address space: the limit (ulimit -v) of " + mib(lim.rlim_cur) + " leaves less than " + mib(bytes) +
           " free, and the CPU backend needs " + mib(kBlasBufferBytes + kThreadArenaBytes) +
           " (an OpenBLAS work buffer and a malloc arena) for each of its " + std::to_string(n_threads) +
           " threads plus " + mib(kMinHeadroomBytes) +
           "; raise the limit or use fewer threads");
#else
  (void)bytes;
  (void)n_threads;
#endif
}

}  // namespace maskkv::cpu
