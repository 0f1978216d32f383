// GuardedStream over an in-memory pipe and a timer the test moves by hand: a write the peer does
// not take fails after the write timeout (and not before), endReads() ends a read in progress,
// and the last activity follows the bytes.
#include <catch2/catch.hpp>
#include <kj/async-io.h>
#include <kj/timer.h>

#include "server/guarded_stream.h"

using pitlog::server::GuardedStream;

namespace {

struct Harness {
  kj::EventLoop loop;
  kj::WaitScope ws{loop};
  kj::TimerImpl timer{kj::origin<kj::TimePoint>()};
  kj::TwoWayPipe pipe = kj::newTwoWayPipe();
  GuardedStream stream{kj::mv(pipe.ends[0]), timer, 30 * kj::SECONDS};
  kj::AsyncIoStream& peer = *pipe.ends[1];

  void advance(kj::Duration d) {
    timer.advanceTo(timer.now() + d);
    ws.poll();
  }
};

}  // namespace

TEST_CASE("GuardedStream: a write the peer does not take fails after the write timeout") {
  Harness h;
  bool failed = false;
  kj::Exception::Type type = kj::Exception::Type::FAILED;
  // An in-memory pipe completes a write only once the other end reads it.
  auto write = h.stream.write("hello", 5)
                   .then([]() {}, [&](kj::Exception&& e) {
                     failed = true;
                     type = e.getType();
                   })
                   .eagerlyEvaluate(nullptr);
  h.advance(29 * kj::SECONDS);
  CHECK_FALSE(failed);
  h.advance(2 * kj::SECONDS);
  CHECK(failed);
  CHECK(type == kj::Exception::Type::DISCONNECTED);
}

TEST_CASE("GuardedStream: a write the peer takes completes and counts as activity") {
  Harness h;
  h.advance(10 * kj::SECONDS);
  char buf[5];
  auto read = h.peer.read(buf, 5);
  h.stream.write("hello", 5).wait(h.ws);
  read.wait(h.ws);
  CHECK(std::string(buf, 5) == "hello");
  CHECK(h.stream.lastActivity() == h.timer.now());
  h.advance(60 * kj::SECONDS);  // no write pending: nothing times out
}

TEST_CASE("GuardedStream: endReads() ends a read in progress and every later one") {
  Harness h;
  char buf[16];
  bool done = false;
  size_t got = 99;
  auto read = h.stream.tryRead(buf, 1, sizeof buf)
                  .then([&](size_t n) {
                    done = true;
                    got = n;
                  })
                  .eagerlyEvaluate(nullptr);
  h.ws.poll();
  CHECK_FALSE(done);
  h.stream.endReads();
  h.ws.poll();
  CHECK(done);
  CHECK(got == 0);
  CHECK(h.stream.tryRead(buf, 1, sizeof buf).wait(h.ws) == 0);
}
