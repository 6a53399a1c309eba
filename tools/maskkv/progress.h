// A one-line progress bar on stderr, drawn only when stderr is a terminal.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <string>

namespace cli {

class ProgressBar {
 public:
  ProgressBar(std::string label, int total)
      : label_(std::move(label)), total_(total), enabled_(isatty(STDERR_FILENO) == 1) {}
  ~ProgressBar() { finish(); }

  void update(int done, const std::string& note = "") {
    if (!enabled_ || total_ <= 0) return;
    const int width = 30;
    int filled = static_cast<int>(static_cast<long long>(done) * width / total_);
    if (filled > width) filled = width;
    std::string bar(filled, '#');
    bar.resize(width, '.');
    std::fprintf(stderr, "\r%s [%s] %d/%d %s\033[K", label_.c_str(), bar.c_str(), done, total_,
                 note.c_str());
    std::fflush(stderr);
    drawn_ = true;
  }

  void finish() {
    if (drawn_) std::fputc('\n', stderr);
    drawn_ = false;
  }

 private:
  std::string label_;
  int total_;
  bool enabled_;
  bool drawn_ = false;
};

}  // namespace cli
