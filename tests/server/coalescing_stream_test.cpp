// CoalescingStream and HttpConnections: what reaches the connection, write by write, when
// kj::HttpServer answers through them. The connection is a recording fake, so that "one write"
// means one write() call, not what a socket reader happens to receive at once.
#include <kj/async.h>
#include <kj/compat/http.h>
#include <kj/timer.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <tuple>
#include <vector>

#include "server/coalescing_stream.h"
#include "server/http_connections.h"

using pitlog::server::CoalescingStream;
using pitlog::server::HttpConnections;

namespace {

// What the connection saw, in order: "write:<bytes>", "shutdown", "closed".
struct Wire {
  std::string input;    // the client's bytes; then reads wait (a keep-alive client) or end (eof)
  bool eofAfterInput = false;
  bool failWrites = false;
  bool holdWrites = false;  // a write completes only when release() is called
  std::vector<std::string> events;
  std::vector<kj::Own<kj::PromiseFulfiller<void>>> held;

  void release() {
    for (auto& f : held) f->fulfill();
    held.clear();
  }
  std::vector<std::string> writes() const {
    std::vector<std::string> out;
    for (auto& e : events) {
      if (e.rfind("write:", 0) == 0) out.push_back(e.substr(6));
    }
    return out;
  }
};

class FakeConnection final : public kj::AsyncIoStream {
 public:
  explicit FakeConnection(Wire& wire) : wire_(wire) {}
  ~FakeConnection() noexcept(false) { wire_.events.push_back("closed"); }

  kj::Promise<size_t> tryRead(void* buffer, size_t, size_t maxBytes) override {
    const size_t n = std::min(maxBytes, wire_.input.size() - readAt_);
    if (n == 0 && !wire_.eofAfterInput) return kj::Promise<size_t>(kj::NEVER_DONE);
    std::memcpy(buffer, wire_.input.data() + readAt_, n);
    readAt_ += n;
    return n;
  }
  kj::Promise<void> write(const void* buffer, size_t size) override {
    if (wire_.failWrites) return KJ_EXCEPTION(DISCONNECTED, "the peer is gone");
    wire_.events.push_back("write:" + std::string(static_cast<const char*>(buffer), size));
    if (!wire_.holdWrites) return kj::READY_NOW;
    auto paf = kj::newPromiseAndFulfiller<void>();
    wire_.held.push_back(kj::mv(paf.fulfiller));
    return kj::mv(paf.promise);
  }
  kj::Promise<void> write(kj::ArrayPtr<const kj::ArrayPtr<const kj::byte>> pieces) override {
    std::string all;
    for (auto p : pieces) all.append(reinterpret_cast<const char*>(p.begin()), p.size());
    return write(all.data(), all.size());
  }
  kj::Promise<void> whenWriteDisconnected() override { return kj::NEVER_DONE; }
  void shutdownWrite() override { wire_.events.push_back("shutdown"); }

 private:
  Wire& wire_;
  size_t readAt_ = 0;
};

// Hands out one connection, then none.
class OneConnection final : public kj::ConnectionReceiver {
 public:
  explicit OneConnection(Wire& wire) : wire_(wire) {}
  kj::Promise<kj::Own<kj::AsyncIoStream>> accept() override {
    if (given_) return kj::NEVER_DONE;
    given_ = true;
    return kj::Own<kj::AsyncIoStream>(kj::heap<FakeConnection>(wire_));
  }
  uint getPort() override { return 0; }

 private:
  Wire& wire_;
  bool given_ = false;
};

// /ok: 200 with a body of known length; /empty: 204; /stream: a chunked body written in two
// turns.
class Service final : public kj::HttpService {
 public:
  explicit Service(const kj::HttpHeaderTable& table) : table_(table) {}
  kj::Promise<void> request(kj::HttpMethod, kj::StringPtr url, const kj::HttpHeaders&,
                            kj::AsyncInputStream&, Response& response) override {
    kj::HttpHeaders headers(table_);
    if (url == "/empty") {
      response.send(204, "No Content", headers, uint64_t(0));
      return kj::READY_NOW;
    }
    if (url == "/stream") {
      auto body = response.send(200, "OK", headers, nullptr);
      auto& ref = *body;
      return ref.write("ab", 2)
          .then([]() { return kj::evalLater([]() {}); })
          .then([&ref]() { return ref.write("cd", 2); })
          .attach(kj::mv(body));
    }
    auto body = response.send(200, "OK", headers, uint64_t(5));
    auto& ref = *body;
    return ref.write("hello", 5).attach(kj::mv(body));
  }

 private:
  const kj::HttpHeaderTable& table_;
};

struct Harness {
  Wire wire;  // first: the connection, closed as the server goes, records into it
  kj::EventLoop loop;
  kj::WaitScope ws{loop};
  kj::TimerImpl timer{kj::origin<kj::TimePoint>()};
  kj::HttpHeaderTable table;
  Service service{table};
  HttpConnections connections{timer, table, service, kj::HttpServerSettings(),
                              30 * kj::SECONDS};
  OneConnection receiver{wire};

  // Serves the one connection until nothing is left to run.
  void serve() {
    auto listening = receiver.accept()
                         .then([this](kj::Own<kj::AsyncIoStream>&& c) { connections.add(kj::mv(c)); })
                         .eagerlyEvaluate(nullptr);
    ws.poll();
  }
};

// A CoalescingStream over the fake connection, without a server.
struct Direct {
  kj::EventLoop loop;
  kj::WaitScope ws{loop};
  Wire wire;
  CoalescingStream out{kj::heap<FakeConnection>(wire)};
};

const std::string kOk = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

}  // namespace

TEST_CASE("a response's head and body reach the connection in one write") {
  Harness h;
  h.wire.input = "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n";
  h.serve();
  CHECK(h.wire.writes() == std::vector<std::string>{kOk});
}

TEST_CASE("a 204 reaches the connection in one write, without a body") {
  Harness h;
  h.wire.input = "GET /empty HTTP/1.1\r\nHost: x\r\n\r\n";
  h.serve();
  CHECK(h.wire.writes() == std::vector<std::string>{"HTTP/1.1 204 No Content\r\n\r\n"});
}

TEST_CASE("pipelined requests are answered in order, in one write") {
  Harness h;
  h.wire.input = "GET /ok HTTP/1.1\r\nHost: x\r\n\r\nGET /empty HTTP/1.1\r\nHost: x\r\n\r\n";
  h.serve();
  CHECK(h.wire.writes() ==
        std::vector<std::string>{kOk + "HTTP/1.1 204 No Content\r\n\r\n"});
}

TEST_CASE("a streamed body arrives whole and in order") {
  Harness h;
  h.wire.input = "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n";
  h.serve();
  std::string all;
  for (auto& w : h.wire.writes()) all += w;
  CHECK(all == "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
               "2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n");
}

TEST_CASE("the last answer is written before the connection closes") {
  Harness h;
  h.wire.input = "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n";
  h.wire.eofAfterInput = true;  // the client sends one request and half-closes
  h.serve();
  CHECK(h.wire.events == std::vector<std::string>{"write:" + kOk, "closed"});
}

TEST_CASE("kj's answer to a malformed request is written before it closes the connection") {
  Harness h;
  h.wire.input = "GET /ok HTTP/1.1\r\nno colon here\r\n\r\n";  // and the client stays
  h.serve();
  REQUIRE(h.wire.events.size() == 2);
  CHECK(h.wire.events[0].rfind("write:HTTP/1.1 400 Bad Request\r\n", 0) == 0);
  CHECK(h.wire.events[1] == "closed");
}

TEST_CASE("drain closes an idle connection and resolves once it is closed") {
  Harness h;
  h.wire.input = "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n";
  h.serve();
  h.connections.drain().wait(h.ws);
  CHECK(h.wire.events == std::vector<std::string>{"write:" + kOk, "closed"});
}

TEST_CASE("a write waits while the previous batch is still being written") {
  Direct d;
  auto [ws, wire, out] = std::tie(d.ws, d.wire, d.out);  // references
  wire.holdWrites = true;
  out.write("a", 1).wait(ws);  // gathered: completes at once
  ws.poll();                   // handed to the connection, which holds it
  auto second = out.write("b", 1);
  CHECK_FALSE(second.poll(ws));
  wire.release();  // "a" written: "b" goes next, and is held in turn
  CHECK_FALSE(second.poll(ws));
  wire.release();
  CHECK(second.poll(ws));
  second.wait(ws);
  CHECK(wire.writes() == std::vector<std::string>{"a", "b"});
}

TEST_CASE("a failed write to the connection fails the flush and every later write") {
  Direct d;
  auto [ws, wire, out] = std::tie(d.ws, d.wire, d.out);  // references
  wire.failWrites = true;
  out.write("a", 1).wait(ws);
  auto flushed = out.flush();
  CHECK_THROWS_WITH(flushed.wait(ws), Catch::Contains("the peer is gone"));
  CHECK_THROWS_WITH(out.write("b", 1).wait(ws), Catch::Contains("the peer is gone"));
}

TEST_CASE("shutdownWrite takes effect after the gathered bytes are written") {
  Direct d;
  auto [ws, wire, out] = std::tie(d.ws, d.wire, d.out);  // references
  out.write("bye", 3).wait(ws);
  out.shutdownWrite();
  ws.poll();
  CHECK(wire.events == std::vector<std::string>{"write:bye", "shutdown"});
}
