// Engine::audit's cost: a page reads at most its limit + 1 of the account's events, plus a binary
// search of the log for `since`, however long the account's history is (the review found
// `audit?since=<future>` reading all of an account's 40k events on pitd's event loop).
#include <catch2/catch.hpp>

#include "commands/engine.h"
#include "core_support.h"
#include "support/temp_dir.h"

using namespace pitlog;
using namespace pitlog::testing;
using namespace pitlog::coretest;
using commands::ExpireMode;

namespace {

constexpr ev::UnixMillis kWindow = 7LL * 24 * 3600 * 1000;

struct History {
  TempDir dir{"pitlog-core-audit"};
  FakeClock clock;
  std::unique_ptr<commands::Engine> engine =
      commands::Engine::open(engineOptions(dir.sub("data"), clock, kWindow));
  std::vector<ev::UnixMillis> times;  // of each event, by seq - 1

  // `n` edits of one integration of "acme", one second apart, and one of "globex" every tenth.
  explicit History(int n) {
    auto created = engine->execute(command("acme", adminActor("acme"), createAction()));
    REQUIRE(created.ok());
    times.push_back(clock.now());
    for (int i = 0; i < n; ++i) {
      clock.advance(1000);
      commands::EditIntegration edit;
      edit.integrationId = created.integration->id;
      edit.description = "edit " + std::to_string(i);
      REQUIRE(engine->execute(command("acme", adminActor("acme"), edit)).ok());
      times.push_back(clock.now());
      if (i % 10 == 0) {
        REQUIRE(engine->execute(command("globex", adminActor("globex"), createAction())).ok());
        times.push_back(clock.now());
      }
    }
  }
};

}  // namespace

TEST_CASE("audit: a page with since in the future reads a handful of events, not the account's history", "[engine]") {
  History h(2000);
  auto future = h.engine->audit("acme", 0, 100, h.clock.now() + 3600'000, std::nullopt);
  CHECK(future.events.empty());
  CHECK_FALSE(future.next);
  CHECK(future.eventsRead == 0);

  // since in the middle: the page starts at the first event at or after it, and reads only the
  // page (+1 to know that more follow).
  const ev::UnixMillis middle = h.times[1000];
  auto page = h.engine->audit("acme", 0, 50, middle, std::nullopt);
  REQUIRE(page.events.size() == 50);
  CHECK(page.events.front().reader().getAt() >= middle);
  CHECK(page.eventsRead <= 51);
  REQUIRE(page.next);
  // The events before `since` are exactly those the page left out.
  auto earlier = h.engine->audit("acme", 0, 1000, std::nullopt, middle - 1);
  CHECK(earlier.events.back().reader().getSeq() < page.events.front().reader().getSeq());
  CHECK(earlier.events.back().reader().getAt() < middle);
}

TEST_CASE("audit: since and after together, and since at each event's exact time", "[engine]") {
  History h(60);
  const uint64_t last = h.engine->lastSeq();
  for (uint64_t seq = 1; seq <= last; ++seq) {
    const ev::UnixMillis at = h.times[seq - 1];
    auto page = h.engine->audit("acme", 0, 1000, at, std::nullopt);
    // Every acme event at or after `at`, and none before it.
    size_t expected = 0;
    auto all = h.engine->audit("acme", 0, 1000, std::nullopt, std::nullopt);
    for (const auto& e : all.events) expected += e.reader().getAt() >= at ? 1 : 0;
    CHECK(page.events.size() == expected);
    // `after` wins when it is later than `since`.
    auto both = h.engine->audit("acme", last - 5, 1000, at, std::nullopt);
    for (const auto& e : both.events) {
      CHECK(e.reader().getSeq() > last - 5);
      CHECK(e.reader().getAt() >= at);
    }
  }
}
