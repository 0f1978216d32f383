// pitd's log: when records reach the file descriptor. Through a pipe, so that "not yet written"
// is a read that finds nothing, with no clock involved (the periodic flush is off here).
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "server/log.h"
#include "server/log_sink.h"

namespace plog = pitlog::server::log;
using pitlog::server::LogFormat;

namespace {

// A pipe the log writes to for the length of a test; the log goes back to stderr afterwards.
class LogPipe {
 public:
  LogPipe() {
    REQUIRE(::pipe2(fds_, O_NONBLOCK) == 0);
    ::fcntl(fds_[1], F_SETPIPE_SZ, 1 << 20);  // room for more than FdSink::kFlushBytes
    plog::configure("info", LogFormat::text, fds_[1], std::chrono::seconds(0));
  }
  ~LogPipe() {
    plog::configure("info", LogFormat::text);
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  // Everything written so far ("" when nothing is).
  std::string drain() {
    std::string out;
    char buffer[65536];
    ssize_t n;
    while ((n = ::read(fds_[0], buffer, sizeof buffer)) > 0) out.append(buffer, size_t(n));
    return out;
  }

 private:
  int fds_[2];
};

}  // namespace

TEST_CASE("an access record waits - the next record of another kind writes both, in order") {
  LogPipe pipe;
  plog::access({{"method", "POST"}, {"route", "/v1/introspect"}, {"status", "200"}});
  CHECK(pipe.drain().empty());
  plog::info("listening http 127.0.0.1:8080");
  const std::string out = pipe.drain();
  const size_t access = out.find(" info http method=POST route=/v1/introspect status=200\n");
  const size_t listening = out.find(" info listening http 127.0.0.1:8080\n");
  REQUIRE(access != std::string::npos);
  REQUIRE(listening != std::string::npos);
  CHECK(access < listening);
}

TEST_CASE("records other than the access log's are written at once") {
  LogPipe pipe;
  plog::warn("tls certificate has expired", {{"cert", "c.pem"}});
  CHECK(pipe.drain().find("warning tls certificate has expired cert=c.pem\n") != std::string::npos);
}

TEST_CASE("flush writes the waiting access records") {
  LogPipe pipe;
  plog::access({{"status", "204"}});
  plog::flush();
  CHECK(pipe.drain().find(" info http status=204\n") != std::string::npos);
}

TEST_CASE("access records are written without a flush once 64 KiB wait") {
  LogPipe pipe;
  const std::string route(1000, 'r');
  size_t records = 0;
  std::string out;
  while (out.empty() && records < 1000) {
    plog::access({{"route", route}});
    ++records;
    out = pipe.drain();
  }
  CHECK(records > 1);  // not one write per record...
  CHECK(out.size() >= plog::FdSink::kFlushBytes);  // ...but one once kFlushBytes were waiting
}
