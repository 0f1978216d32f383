#pragma once
// Progress of a long start (a migration, a comparison, a catch-up) for pitd's log: the message
// with (done, total) at most once per interval, and always when forced (the start, the end), so
// that a long task says where it is without a line per step.
// Thread-safety: one owner thread.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace pitlog::cluster {

using ProgressFn = std::function<void(const std::string& message, uint64_t done, uint64_t total)>;

class ProgressReporter {
 public:
  ProgressReporter(ProgressFn fn, std::chrono::milliseconds every = std::chrono::seconds(1))
      : fn_(std::move(fn)), every_(every) {}

  void report(const std::string& message, uint64_t done, uint64_t total, bool force = false) {
    if (!fn_) return;
    const auto now = std::chrono::steady_clock::now();
    if (!force && reported_ && now - last_ < every_) return;
    reported_ = true;
    last_ = now;
    fn_(message, done, total);
  }

 private:
  ProgressFn fn_;
  std::chrono::milliseconds every_;
  bool reported_ = false;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace pitlog::cluster
