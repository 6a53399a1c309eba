/* getrusage(RUSAGE_SELF) with ru_maxrss (KiB, as Linux reports it) from the process's peak
 * working set, for the mingw-w64 cross-build of maskkv (lib/core/memory.cpp). */
#ifndef MASKKV_MINGW_SYS_RESOURCE_H
#define MASKKV_MINGW_SYS_RESOURCE_H

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#ifndef PSAPI_VERSION
#define PSAPI_VERSION 2 /* GetProcessMemoryInfo from kernel32 (K32GetProcessMemoryInfo) */
#endif
#include <string.h>
#include <windows.h>
#include <psapi.h>

#define RUSAGE_SELF 0

struct rusage {
  long ru_maxrss; /* KiB */
};

static inline int getrusage(int who, struct rusage* usage) {
  if (who != RUSAGE_SELF || usage == NULL) return -1;
  memset(usage, 0, sizeof(*usage));
  PROCESS_MEMORY_COUNTERS pmc;
  if (!GetProcessMemoryInfo(GetCurrentProcess(), &pmc, sizeof(pmc))) return -1;
  usage->ru_maxrss = (long)(pmc.PeakWorkingSetSize / 1024);
  return 0;
}

#endif
