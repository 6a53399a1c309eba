// Reading small untrusted files whole (JSON configs, tokenizer files): a regular file only,
// opened without blocking and checked with fstat, so that a FIFO or device planted under the
// file's name cannot hang or flood the reader, and capped in size before anything is read.
// Header-only, so that the tokenizer library uses it without linking the engine.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include "core/error.h"

namespace maskkv {

// "<origin>: N bytes, above the M MiB limit for <kind>" (kind: "a tokenizer file", ...).
inline std::string too_large_message(const std::string& origin, uint64_t size, uint64_t limit, const char* kind) {
  return origin + ": " + std::to_string(size) + " bytes, above the " + std::to_string(limit >> 20) +
         " MiB limit for " + kind;
}

// The whole of the regular file `path`, at most `limit` bytes (Code::format above it, naming
// `kind`); Code::io when it cannot be opened or read or is not a regular file.
inline std::string read_regular_file(const std::string& path, uint64_t limit, const char* kind) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) fail(Code::io, "cannot open '" + path + "': " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail(Code::io, "'" + path + "' is not a regular file");
  }
  if (static_cast<uint64_t>(st.st_size) > limit) {
    ::close(fd);
    fail(Code::format, too_large_message(path, static_cast<uint64_t>(st.st_size), limit, kind));
  }
  std::string text(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < text.size()) {
    ssize_t r = ::read(fd, text.data() + got, text.size() - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      const int e = errno;
      ::close(fd);
      fail(Code::io, "cannot read '" + path + "': " + std::strerror(e));
    }
    if (r == 0) break;  // a file that shrank under us: what was there
    got += static_cast<size_t>(r);
  }
  ::close(fd);
  text.resize(got);
  return text;
}

}  // namespace maskkv
