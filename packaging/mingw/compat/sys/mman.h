/* Read-only mmap()/munmap() over Win32 file mappings, for the mingw-w64 cross-build of maskkv
 * (lib/io/mapped_file.cpp maps checkpoints with PROT_READ + MAP_PRIVATE, nothing else). */
#ifndef MASKKV_MINGW_SYS_MMAN_H
#define MASKKV_MINGW_SYS_MMAN_H

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <errno.h>
#include <io.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <windows.h>

#define PROT_NONE 0
#define PROT_READ 1
#define MAP_SHARED 1
#define MAP_PRIVATE 2
#define MAP_FAILED ((void*)-1)

static inline void* mmap(void* addr, size_t length, int prot, int flags, int fd, long long offset) {
  (void)addr;
  (void)flags;
  if (prot != PROT_READ || length == 0) {
    errno = EINVAL;
    return MAP_FAILED;
  }
  HANDLE file = (HANDLE)_get_osfhandle(fd);
  if (file == INVALID_HANDLE_VALUE) {
    errno = EBADF;
    return MAP_FAILED;
  }
  HANDLE mapping = CreateFileMappingW(file, NULL, PAGE_READONLY, 0, 0, NULL);
  if (mapping == NULL) {
    errno = EACCES;
    return MAP_FAILED;
  }
  const uint64_t off = (uint64_t)offset;
  void* view = MapViewOfFile(mapping, FILE_MAP_READ, (DWORD)(off >> 32), (DWORD)(off & 0xffffffffu),
                             length);
  /* The view keeps the mapping object alive. */
  CloseHandle(mapping);
  if (view == NULL) {
    errno = ENOMEM;
    return MAP_FAILED;
  }
  return view;
}

static inline int munmap(void* addr, size_t length) {
  (void)length;
  if (!UnmapViewOfFile(addr)) {
    errno = EINVAL;
    return -1;
  }
  return 0;
}

#endif
