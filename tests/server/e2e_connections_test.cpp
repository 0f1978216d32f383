// pitd's HTTP port and process under connection-level abuse: descriptors exhausted, more
// connections than --max-connections, `Connection: close` and HTTP/1.0 honoured, a client that
// never reads its answers; and the process hygiene around them: SIGHUP reloads the service keys,
// the data directory and its files are the owner's alone, unsafe keys are warned about.
#include <catch2/catch.hpp>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <thread>

#include "support/sockets.h"
#include "support/test_server.h"

using namespace pitlog::testing;
using namespace std::chrono_literals;

namespace {

const std::string kHealthz = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

// Reads one response whose body has a Content-Length, leaving the connection open.
std::string readOneResponse(int fd) {
  std::string got;
  char buf[4096];
  for (;;) {
    const auto end = got.find("\r\n\r\n");
    if (end != std::string::npos) {
      const auto r = parseResponseHead(got.substr(0, end));
      const size_t length = std::stoul(r.header("content-length"));
      if (got.size() >= end + 4 + length) return got;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10'000) <= 0) return got;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return got;
    got.append(buf, static_cast<size_t>(n));
  }
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// /healthz over a fresh connection; 0 when pitd cannot be reached.
int healthz(int port) {
  try {
    return httpRequest(port, "GET", "/healthz").status;
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

TEST_CASE("running out of file descriptors does not stop pitd - /healthz says so - it recovers",
          "[connections][catalogue]") {
  if (const char* why = LowFdLimit::unusableBecause()) {
    WARN(why);
    return;
  }
  std::unique_ptr<TestServer> s;
  {
    LowFdLimit low(128);  // pitd inherits it
    s = std::make_unique<TestServer>();
  }
  // A keep-alive connection opened before, to ask /healthz while no new one can be accepted.
  const int probe = tcpConnect(s->port());
  REQUIRE(probe >= 0);
  std::vector<int> idle;
  for (int i = 0; i < 300; ++i) {
    const int fd = tcpConnect(s->port());  // the kernel completes them; pitd runs out accepting
    if (fd >= 0) idle.push_back(fd);
  }
  std::this_thread::sleep_for(300ms);
  REQUIRE(sendAll(probe, kHealthz));
  const std::string during = readOneResponse(probe);
  CHECK(contains(during, "HTTP/1.1 503"));
  CHECK(contains(during, R"("listener":"http")"));
  for (int fd : idle) ::close(fd);
  ::close(probe);
  // Accepting again by itself, without a restart.
  int status = 0;
  for (int i = 0; i < 50 && status != 200; ++i) {
    status = healthz(s->port());
    if (status != 200) std::this_thread::sleep_for(200ms);
  }
  CHECK(status == 200);
  const std::string log = s->log();
  CHECK(contains(log, "accepting a connection failed"));
  CHECK(contains(log, "accepting connections again"));
  CHECK(s->stop() == 0);
  std::cout << "connections: HTTP port under RLIMIT_NOFILE 128 with " << idle.size()
            << " idle sockets: pitd kept running, /healthz said 503 listener=http, and it "
               "accepted again (healthz 200) once they closed\n";
}

TEST_CASE("a connection past --max-connections is closed at once - once one ends the next is served",
          "[connections][catalogue]") {
  TestServer s({"--max-connections", "3"});
  std::vector<int> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(tcpConnect(s.port()));
    REQUIRE(held.back() >= 0);
  }
  std::this_thread::sleep_for(200ms);  // accepted by pitd (each holds a slot until it ends)
  const int extra = tcpConnect(s.port());
  REQUIRE(extra >= 0);
  sendAll(extra, kHealthz);
  bool closed = false;
  const std::string got = readUntilClosed(extra, 10s, &closed);
  CHECK(closed);
  CHECK(got.empty());
  ::close(extra);
  ::close(held.back());
  held.pop_back();
  int status = 0;
  for (int i = 0; i < 50 && status != 200; ++i) {
    status = healthz(s.port());
    if (status != 200) std::this_thread::sleep_for(100ms);
  }
  CHECK(status == 200);
  for (int fd : held) ::close(fd);
  // A slot frees once pitd has seen the close, which the loop holding that connection does in
  // its own time: the next connection may come first (on another loop) and find the port full.
  std::string metrics;
  for (int i = 0; i < 50 && metrics.empty(); ++i) {
    try {
      metrics = s.get("/metrics", std::nullopt).body;
    } catch (const std::exception&) {
      std::this_thread::sleep_for(100ms);
    }
  }
  CHECK(std::regex_search(metrics,
                          std::regex(R"(pitlog_connections_refused_total\{protocol="http"\} [1-9])")));
  CHECK(contains(s.log(), "connection limit reached"));
  CHECK(s.stop() == 0);
  std::cout << "connections: --max-connections 3: 3 connections held, the 4th closed unanswered, "
               "the next served once one ended\n";
}

TEST_CASE("four event loops share the HTTP port (http-threads 4) - every connection is answered, "
          "and --max-connections and the open-connections gauge count the port, not a loop",
          "[connections][catalogue]") {
  TestServer s({"--http-threads", "4", "--max-connections", "24"});
  CHECK(contains(s.log(), "loops=4"));
  // 24 connections, each with a request answered before the next is opened, so that all are
  // held; with a count per loop the 25th would be served by a loop holding fewer than 24.
  std::vector<int> held;
  for (int i = 0; i < 24; ++i) {
    held.push_back(tcpConnect(s.port()));
    REQUIRE(held.back() >= 0);
    sendAll(held.back(), kHealthz);
    REQUIRE(contains(readOneResponse(held.back()), "HTTP/1.1 200"));
  }
  const int extra = tcpConnect(s.port());
  REQUIRE(extra >= 0);
  sendAll(extra, kHealthz);
  bool closed = false;
  CHECK(readUntilClosed(extra, 10s, &closed).empty());
  CHECK(closed);
  ::close(extra);
  // Every held connection is still served, on whichever loop holds it.
  for (int fd : held) {
    sendAll(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    const std::string got = readOneResponse(fd);
    REQUIRE(contains(got, "HTTP/1.1 200"));
    CHECK(contains(got, "pitlog_connections_open{protocol=\"http\"} 24\n"));
  }
  for (int fd : held) ::close(fd);
  CHECK(s.stop() == 0);
  std::cout << "connections: --http-threads 4: 24 connections held and answered over four loops, "
               "the 25th closed at --max-connections 24, the gauge at 24 on every loop\n";
}

TEST_CASE("Connection: close and HTTP/1.0 without keep-alive close right after the answer",
          "[connections][catalogue]") {
  TestServer s;
  // A keep-alive connection answered first: it stays open for kj's keep-alive timeout (5 s).
  // Each connection below must close before it, although it was answered later: closed because
  // its request said so, not by a timeout.
  const int keptAlive = tcpConnect(s.port());
  REQUIRE(keptAlive >= 0);
  REQUIRE(sendAll(keptAlive, kHealthz));
  CHECK(contains(readOneResponse(keptAlive), "HTTP/1.1 200"));

  struct Case {
    const char* name;
    std::string request;
  };
  const std::string body = R"({"token":"x1"})";
  const Case cases[] = {
      {"Connection: close", "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"},
      {"Connection: Keep-Alive, CLOSE",
       "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: Keep-Alive, CLOSE\r\n\r\n"},
      {"HTTP/1.0", "GET /healthz HTTP/1.0\r\n\r\n"},
      {"HTTP/1.0 POST with a body",
       "POST /v1/introspect HTTP/1.0\r\nAuthorization: Bearer " + s.key() +
           "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    const int fd = tcpConnect(s.port());
    REQUIRE(fd >= 0);
    REQUIRE(sendAll(fd, c.request));
    bool closed = false;
    const std::string got = readUntilClosed(fd, 30s, &closed);
    CHECK(closed);
    CHECK(contains(got, "HTTP/1.1 200"));
    CHECK(contains(got, "Connection: close"));
    ::close(fd);
  }
  std::this_thread::sleep_for(100ms);
  CHECK(stillOpen(keptAlive));

  // HTTP/1.0 asking for keep-alive keeps its connection.
  const int kept10 = tcpConnect(s.port());
  REQUIRE(sendAll(kept10, "GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  CHECK(contains(readOneResponse(kept10), "HTTP/1.1 200"));
  std::this_thread::sleep_for(100ms);
  CHECK(stillOpen(kept10));
  ::close(kept10);
  ::close(keptAlive);
  CHECK(s.stop() == 0);
}

TEST_CASE("a client that pipelines requests and never reads is closed after --write-timeout",
          "[connections][catalogue]") {
  TestServer s({"--write-timeout", "2s"});
  const int fd = tcpConnect(s.port());
  REQUIRE(fd >= 0);
  int small = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  // /metrics answers are kilobytes each: a few thousand fill every buffer on the way.
  std::string request = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  std::string batch;
  for (int i = 0; i < 200; ++i) batch += request;
  for (int i = 0; i < 100; ++i) {
    if (::send(fd, batch.data(), batch.size(), MSG_NOSIGNAL | MSG_DONTWAIT) <= 0) break;
  }
  // Never reading: wait for pitd to hang up (FIN or reset) without taking the answers.
  pollfd p{fd, POLLRDHUP, 0};
  bool hungUp = false;
  for (int i = 0; i < 60 && !hungUp; ++i) {
    if (::poll(&p, 1, 1000) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) hungUp = true;
  }
  CHECK(hungUp);
  ::close(fd);
  CHECK(healthz(s.port()) == 200);
  CHECK(s.stop() == 0);
}

TEST_CASE("SIGHUP reloads the service keys without a restart - a bad file keeps the old keys",
          "[connections][catalogue]") {
  TempDir dir("pitd-keys");
  const std::string keys = dir.sub("keys");
  const std::string first = "svc-first-0123456789abcdef0123456789";
  const std::string second = "svc-second-0123456789abcdef012345678";
  std::ofstream(keys) << first << "\n";
  ::chmod(keys.c_str(), 0600);
  TestServer s({"--service-keys", keys, "--http-threads", "4"});
  auto status = [&](const std::string& key) {
    return httpRequest(s.port(), "GET", "/v1/scopes", {{"Authorization", "Bearer " + key}}).status;
  };
  REQUIRE(status(first) == 200);
  CHECK(status(second) == 401);

  std::ofstream(keys) << second << "\n";
  s.process().signal(SIGHUP);
  int now = 0;
  for (int i = 0; i < 50 && now != 200; ++i) {
    now = status(second);
    if (now != 200) std::this_thread::sleep_for(100ms);
  }
  CHECK(now == 200);
  // Each loop got the new keys before any answered with them: fresh connections, whichever of
  // the four loops takes each, all agree.
  for (int i = 0; i < 16; ++i) {
    CHECK(status(first) == 401);
    CHECK(status(second) == 200);
  }

  std::ofstream(keys) << "# no key at all\n";
  s.process().signal(SIGHUP);
  for (int i = 0; i < 50 && !contains(s.log(), "service keys not reloaded"); ++i) {
    std::this_thread::sleep_for(100ms);
  }
  CHECK(contains(s.log(), "service keys not reloaded"));
  CHECK(status(second) == 200);
  CHECK(s.process().running());
  CHECK(s.stop() == 0);
  CHECK_FALSE(contains(s.log(), first));
  CHECK_FALSE(contains(s.log(), second));
}

TEST_CASE("the data directory is created 0700 and its files 0600 - unsafe keys are warned about",
          "[connections][catalogue]") {
  TempDir dir("pitd-modes");
  const std::string data = dir.sub("db");  // created by pitd
  const std::string keys = dir.sub("keys");
  std::ofstream(keys) << "short-key-1\n";
  ::chmod(keys.c_str(), 0644);
  TempDir logs("pitd-logs");
  PitdProcess pitd(logs.sub("pitd.log"), {"--data", data, "--http", "127.0.0.1:0", "--rpc", "off",
                                          "--service-keys", keys});
  CHECK(httpRequest(pitd.port(), "GET", "/v1/scopes", {{"Authorization", "Bearer short-key-1"}})
            .status == 200);
  CHECK(pitd.stop() == 0);
  struct stat st {};
  REQUIRE(::stat(data.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(data)) {
    REQUIRE(::stat(entry.path().c_str(), &st) == 0);
    INFO(entry.path().string());
    CHECK((st.st_mode & 077) == 0);
    ++files;
  }
  CHECK(files > 3);
  const std::string log = readFile(logs.sub("pitd.log"));
  CHECK(contains(log, "may be read by other users"));
  CHECK(contains(log, "0644"));
  CHECK(contains(log, "shorter than 32 characters"));
  CHECK_FALSE(contains(log, "short-key-1"));
}
