// One console store for all of pitd's HTTP event loops (server/http/shared_console_session_store.h):
// what one loop issues holds on every other, and loops racing on one link on their own threads
// still open exactly one session (under TSan this also proves the store is never entered twice).
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "server/http/console_sessions.h"
#include "server/http/memory_console_session_store.h"
#include "server/http/shared_console_session_store.h"

using namespace pitlog::server::http;
using pitlog::events::Actor;
using pitlog::events::Role;

namespace {

int64_t now() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

Actor admin() { return Actor{"acme", "alice", Role::admin}; }

}  // namespace

TEST_CASE("console sessions of two event loops share one store: a link issued on one signs in on "
          "the other and a sign-out on either ends the session on both",
          "[console][loops]") {
  SharedConsoleSessionStore shared(std::make_unique<MemoryConsoleSessionStore>());
  ConsoleSessions loopA(now, shared.handle());
  ConsoleSessions loopB(now, shared.handle());

  auto link = loopA.issueLink(admin());
  REQUIRE(link.value);
  auto session = loopB.redeem(link.value->code);
  REQUIRE(session.value);
  CHECK_FALSE(loopA.redeem(link.value->code).value);  // spent, whichever loop asks

  auto onA = loopA.authenticate(session.value->id);
  REQUIRE(onA.value);
  CHECK(onA.value->userId == "alice");
  CHECK(loopB.authenticate(session.value->id).value);

  CHECK_FALSE(loopB.end(session.value->id));  // no store error
  CHECK_FALSE(loopA.authenticate(session.value->id).value);
  CHECK_FALSE(loopA.authenticate(session.value->id).unavailable);
}

TEST_CASE("loops redeeming one link at once on their own threads open exactly one session",
          "[console][loops]") {
  SharedConsoleSessionStore shared(std::make_unique<MemoryConsoleSessionStore>());
  ConsoleSessions issuer(now, shared.handle());
  constexpr int kLoops = 8;
  constexpr int kLinks = 40;
  std::vector<std::unique_ptr<ConsoleSessions>> loops;
  for (int i = 0; i < kLoops; ++i) {
    loops.push_back(std::make_unique<ConsoleSessions>(now, shared.handle()));
  }
  for (int round = 0; round < kLinks; ++round) {
    auto link = issuer.issueLink(admin());
    REQUIRE(link.value);
    std::atomic<int> opened{0}, refused{0}, down{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (auto& loop : loops) {
      threads.emplace_back([&, code = link.value->code, sessions = loop.get()] {
        while (!go.load()) std::this_thread::yield();
        auto answer = sessions->redeem(code);
        if (answer.value) {
          ++opened;
          if (!sessions->authenticate(answer.value->id).value) ++down;
        } else if (answer.unavailable) {
          ++down;
        } else {
          ++refused;
        }
      });
    }
    go = true;
    for (auto& t : threads) t.join();
    CHECK(opened == 1);
    CHECK(refused == kLoops - 1);
    CHECK(down == 0);
  }
}
