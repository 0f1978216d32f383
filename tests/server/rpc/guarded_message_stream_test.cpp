// GuardedMessageStream over a socket pair: the peer writes rpc.capnp messages by hand, the test
// reads them through the guard as TwoPartyVatNetwork would, and answers with Returns. Proves each
// limit of guarded_message_stream.h on its own.
#include <capnp/message.h>
#include <capnp/rpc.capnp.h>
#include <capnp/serialize-async.h>
#include <catch2/catch.hpp>
#include <kj/async-io.h>

#include <string>

#include "server/rpc/guarded_message_stream.h"

using pitlog::rpc::GuardedMessageStream;

namespace {

struct Harness {
  kj::AsyncIoContext io = kj::setupAsyncIo();
  kj::TwoWayPipe pipe = io.provider->newTwoWayPipe();
  GuardedMessageStream guard{*pipe.ends[0], io.provider->getTimer()};
  kj::AsyncIoStream& peer = *pipe.ends[1];

  // The peer sends one message.
  void send(const std::function<void(capnp::rpc::Message::Builder)>& fill) {
    capnp::MallocMessageBuilder message;
    fill(message.initRoot<capnp::rpc::Message>());
    capnp::writeMessage(peer, message).wait(io.waitScope);
  }
  void bootstrap(uint32_t id) {
    send([id](auto m) { m.initBootstrap().setQuestionId(id); });
  }
  void finish(uint32_t id) {
    send([id](auto m) { m.initFinish().setQuestionId(id); });
  }
  // The server answers question `id`, and the peer takes the answer.
  void answer(uint32_t id) {
    capnp::MallocMessageBuilder message;
    message.initRoot<capnp::rpc::Message>().initReturn().setAnswerId(id);
    auto written = guard.writeMessage(nullptr, message.getSegmentsForOutput());
    capnp::readMessage(peer).wait(io.waitScope);
    written.wait(io.waitScope);
  }
  // Reads one message through the guard: "ok", "end" or the exception's description.
  std::string read() {
    return guard.tryReadMessage(nullptr, capnp::ReaderOptions(), nullptr)
        .then([](kj::Maybe<capnp::MessageReaderAndFds>&& m) -> std::string {
          return m == nullptr ? "end" : "ok";
        }, [](kj::Exception&& e) -> std::string { return e.getDescription().cStr(); })
        .wait(io.waitScope);
  }
  // Whether a read started now completes within `wait` (it is left pending otherwise).
  bool readsWithin(kj::Duration wait, kj::Promise<std::string>* pending) {
    bool done = false;
    *pending = guard.tryReadMessage(nullptr, capnp::ReaderOptions(), nullptr)
                   .then([&done](kj::Maybe<capnp::MessageReaderAndFds>&&) {
                     done = true;
                     return std::string("ok");
                   })
                   .eagerlyEvaluate(nullptr);
    io.provider->getTimer().afterDelay(wait).wait(io.waitScope);
    return done;
  }
};

}  // namespace

TEST_CASE("GuardedMessageStream: 32 messages before a login and no more - no such limit after one") {
  {
    Harness h;
    for (uint32_t i = 0; i < 33; ++i) h.finish(i);
    for (int i = 0; i < 32; ++i) REQUIRE(h.read() == "ok");
    const std::string refused = h.read();
    CHECK(refused.find("too many messages before a successful login") != std::string::npos);
    CHECK(h.guard.limitHit() != nullptr);
  }
  {
    Harness in;
    in.guard.loggedIn();
    for (uint32_t i = 0; i < 100; ++i) in.finish(i);
    for (int i = 0; i < 100; ++i) REQUIRE(in.read() == "ok");
    CHECK(in.guard.limitHit() == nullptr);
  }
}

TEST_CASE("GuardedMessageStream: over 1024 answered and unfinished for longer than the grace ends it") {
  {
    Harness h;
    h.guard.loggedIn();
    // 1025 answered and unfinished: tolerated for the grace (a slow reader catches up) ...
    for (uint32_t i = 0; i < 1025; ++i) {
      h.bootstrap(i);
      REQUIRE(h.read() == "ok");
      h.answer(i);
    }
    h.bootstrap(1025);
    CHECK(h.read() == "ok");
    h.answer(1025);
    // ... and refused once it has lasted longer.
    h.io.provider->getTimer()
        .afterDelay(GuardedMessageStream::kUnfinishedGrace + 100 * kj::MILLISECONDS)
        .wait(h.io.waitScope);
    h.bootstrap(1026);
    CHECK(h.read().find("never finished") != std::string::npos);
  }
  {
    // A slow reader: thousands answered at once, finished a little later, is never cut off.
    Harness slow;
    slow.guard.loggedIn();
    for (uint32_t i = 0; i < 3000; ++i) {
      slow.bootstrap(i);
      REQUIRE(slow.read() == "ok");
      slow.answer(i);
    }
    for (uint32_t i = 0; i < 3000; ++i) {
      slow.finish(i);
      REQUIRE(slow.read() == "ok");
    }
    slow.bootstrap(3000);
    CHECK(slow.read() == "ok");
    CHECK(slow.guard.limitHit() == nullptr);
  }
  {
    // Past the hard cap at once, grace or not.
    Harness h;
    h.guard.loggedIn();
    std::string last;
    for (uint32_t i = 0; i <= GuardedMessageStream::kMaxUnfinishedHard + 1 && last != "x"; ++i) {
      h.bootstrap(i);
      last = h.read();
      if (last != "ok") break;
      h.answer(i);
    }
    CHECK(last.find("never finished") != std::string::npos);
  }
  // A client that finishes what it was answered is never cut off.
  Harness fine;
  fine.guard.loggedIn();
  for (uint32_t i = 0; i < 3000; ++i) {
    fine.bootstrap(i);
    REQUIRE(fine.read() == "ok");
    fine.answer(i);
    fine.finish(i);
    REQUIRE(fine.read() == "ok");
  }
}

TEST_CASE("GuardedMessageStream: no call is read while 1024 wait or 1 MiB of answers is queued") {
  {
    Harness h;
    h.guard.loggedIn();
    for (uint32_t i = 0; i < 1024; ++i) {
      h.bootstrap(i);
      REQUIRE(h.read() == "ok");
    }
    h.bootstrap(1024);
    kj::Promise<std::string> pending = nullptr;
    CHECK_FALSE(h.readsWithin(300 * kj::MILLISECONDS, &pending));
    h.answer(0);
    CHECK(pending.wait(h.io.waitScope) == "ok");
  }
  {
    Harness out;
    out.guard.loggedIn();
    size_t queued = 2 * 1024 * 1024;
    out.guard.setOutputQueued([&queued]() { return queued; });
    out.finish(1);
    kj::Promise<std::string> pending = nullptr;
    CHECK_FALSE(out.readsWithin(300 * kj::MILLISECONDS, &pending));
    queued = 0;
    CHECK(pending.wait(out.io.waitScope) == "ok");
  }
}

TEST_CASE("GuardedMessageStream: drain() waits for the answers to the calls taken and drops later ones") {
  Harness h;
  h.guard.loggedIn();
  h.bootstrap(7);
  REQUIRE(h.read() == "ok");
  bool drained = false;
  auto draining = h.guard.drain().then([&drained]() { drained = true; }).eagerlyEvaluate(nullptr);
  h.io.provider->getTimer().afterDelay(200 * kj::MILLISECONDS).wait(h.io.waitScope);
  CHECK_FALSE(drained);
  h.answer(7);
  draining.wait(h.io.waitScope);
  CHECK(drained);
  // A call sent after the drain began is read and dropped; the read ends with the stream.
  h.bootstrap(8);
  h.peer.shutdownWrite();
  CHECK(h.read() == "end");
  CHECK(h.guard.unanswered() == 0);
}
