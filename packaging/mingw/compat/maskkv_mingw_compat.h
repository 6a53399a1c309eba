/* Force-included (-include) into every maskkv source of the mingw-w64 cross-build. Fills the few
 * POSIX names the engine uses that mingw-w64's C runtime lacks; sys/mman.h and sys/resource.h in
 * this directory supply the rest. Nothing here is used by the Linux build. */
#ifndef MASKKV_MINGW_COMPAT_H
#define MASKKV_MINGW_COMPAT_H

#include <fcntl.h>

/* Handles are not inherited across exec on Windows unless asked; open files in binary mode. */
#ifndef O_CLOEXEC
#define O_CLOEXEC _O_BINARY
#endif

/* Opening never blocks on Windows files (and there are no FIFOs to plant). */
#ifndef O_NONBLOCK
#define O_NONBLOCK 0
#endif

#ifndef _SC_PAGESIZE
#define _SC_PAGESIZE 30
#endif
/* Only _SC_PAGESIZE is asked for (lib/core/memory.cpp). */
static inline long maskkv_mingw_sysconf(int name) { return name == _SC_PAGESIZE ? 4096L : -1L; }
#define sysconf maskkv_mingw_sysconf

#endif
