#pragma once
// Samples a process's resident set (VmRSS in /proc/<pid>/status) on its own thread at a fixed
// period, from construction until stop().
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace pitlog::campaigns::soak {

struct RssSample {
  double atSeconds;  // since the sampler started
  int64_t kib;
};

// VmRSS of the process in KiB; -1 when it cannot be read (the process is gone).
int64_t residentKib(pid_t pid);

class RssSampler {
 public:
  RssSampler(pid_t pid, std::chrono::milliseconds period);
  ~RssSampler();
  RssSampler(const RssSampler&) = delete;
  RssSampler& operator=(const RssSampler&) = delete;

  void stop();
  std::vector<RssSample> samples() const;

 private:
  void run();

  const pid_t pid_;
  const std::chrono::milliseconds period_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::vector<RssSample> samples_;
  std::thread thread_;
};

}  // namespace pitlog::campaigns::soak
