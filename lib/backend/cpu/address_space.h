// Address-space headroom under an RLIMIT_AS limit (`ulimit -v`). OpenBLAS allocates a large work
// buffer for each thread that calls it, on first use, and retries a failed allocation forever:
// under a tight limit a generation would spin at 100% CPU instead of failing. The CPU backend
// therefore checks, when it is created, that the buffers its threads will need still fit.
#pragma once

#include <cstdint>

namespace maskkv::cpu {

// Per pool thread: the work buffer OpenBLAS allocates for each calling thread (BUFFER_SIZE of
// Debian's 0.3.x builds, 128 MiB, plus a page) and the malloc arena glibc reserves for a thread
// (64 MiB); and what the rest of a generation needs at the least beside them.
constexpr uint64_t kBlasBufferBytes = (uint64_t{128} << 20) + 4096;
constexpr uint64_t kThreadArenaBytes = uint64_t{64} << 20;
constexpr uint64_t kMinHeadroomBytes = uint64_t{64} << 20;

// Throws Error(out_of_memory) when an address-space limit is set and `bytes` more no longer fit
// under it (tried with a PROT_NONE mapping, released at once). No-op without a limit.
void check_address_space(uint64_t bytes, int n_threads);

}  // namespace maskkv::cpu
