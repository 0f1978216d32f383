#pragma once
// The sink behind pitd's log: records are formatted into memory and written to a file descriptor
// (stderr) in one write() when the sink is flushed. spdlog's stderr sink writes and fflushes
// every record; at tens of thousands of requests a second, the access log alone cost a syscall
// per request. The logger decides when to flush (log.cpp); the sink also flushes by itself once
// kFlushBytes are waiting, which bounds its memory and what a crash can take with it.
//
// Thread-safe (spdlog's base_sink, with a mutex). A failed write drops what it could not write,
// as a stderr sink does: a log nobody reads must not stop the service.
#include <spdlog/sinks/base_sink.h>

#include <mutex>

namespace pitlog::server::log {

class FdSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  static constexpr size_t kFlushBytes = 64 * 1024;

  // `fd` stays open and owned by the caller.
  explicit FdSink(int fd) : fd_(fd) {}
  ~FdSink() override;  // writes what is waiting

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override;

 private:
  int fd_;
  spdlog::memory_buf_t waiting_;
};

}  // namespace pitlog::server::log
