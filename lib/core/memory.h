// Process memory figures for statistics.
#pragma once

#include <cstdint>

namespace maskkv {

// Peak resident set size of this process in bytes (getrusage).
uint64_t peak_rss_bytes();
// Current resident set size in bytes (/proc/self/statm), 0 where unknown.
uint64_t current_rss_bytes();

}  // namespace maskkv
