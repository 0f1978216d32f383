#include "server/log_sink.h"

#include <unistd.h>

#include <cerrno>

namespace pitlog::server::log {

FdSink::~FdSink() { flush_(); }

void FdSink::sink_it_(const spdlog::details::log_msg& msg) {
  formatter_->format(msg, waiting_);
  if (waiting_.size() >= kFlushBytes) flush_();
}

void FdSink::flush_() {
  const char* next = waiting_.data();
  size_t left = waiting_.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, next, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    next += n;
    left -= static_cast<size_t>(n);
  }
  waiting_.clear();
}

}  // namespace pitlog::server::log
