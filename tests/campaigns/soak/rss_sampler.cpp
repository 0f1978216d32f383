#include "rss_sampler.h"

#include <fstream>
#include <string>

namespace pitlog::campaigns::soak {

int64_t residentKib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));  // "VmRSS:  1234 kB"
  }
  return -1;
}

RssSampler::RssSampler(pid_t pid, std::chrono::milliseconds period)
    : pid_(pid), period_(period), thread_([this] { run(); }) {}

RssSampler::~RssSampler() { stop(); }

void RssSampler::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::vector<RssSample> RssSampler::samples() const {
  std::lock_guard lock(mu_);
  return samples_;
}

void RssSampler::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    int64_t kib = residentKib(pid_);
    double at = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (kib >= 0) samples_.push_back({at, kib});
    wake_.wait_for(lock, period_, [this] { return stopping_; });
  }
}

}  // namespace pitlog::campaigns::soak
