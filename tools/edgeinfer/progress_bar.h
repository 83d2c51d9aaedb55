// A progress bar on stderr, only when stderr is a terminal: reports on stdout and logs stay clean.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <string>

namespace edgeinfer::cli {

class ProgressBar {
 public:
  explicit ProgressBar(const char* label) : label_(label), enabled_(isatty(STDERR_FILENO) == 1) {}
  ~ProgressBar() {
    if (shown_) std::fputc('\n', stderr);
  }
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // Redraws only when the bar or the count would change by a visible step (at most ~200 times a run).
  void update(size_t done, size_t total) {
    if (!enabled_ || total == 0) return;
    const size_t step = total / 200 + 1;
    if (done != total && done / step == last_ / step && shown_) return;
    last_ = done;
    const int width = 40, filled = static_cast<int>(width * done / total);
    std::fprintf(stderr, "\r%s [%s%s] %zu/%zu", label_, std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), done, total);
    std::fflush(stderr);
    shown_ = true;
  }

 private:
  const char* label_;
  bool enabled_;
  bool shown_ = false;
  size_t last_ = 0;
};

}  // namespace edgeinfer::cli
