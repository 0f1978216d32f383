// The freshness rule of cluster mode (cluster/freshness.h) as a pure class, on a clock the test
// sets by hand: fresh once current, stale maxStaleness after the last moment it was current when
// cut off, still stale when back but behind, fresh again only once caught up.
#include "cluster/freshness.h"

#include <catch2/catch.hpp>

namespace pitlog::cluster {
namespace {

using namespace std::chrono_literals;
using Clock = Freshness::Clock;

const Clock::time_point kT0 = Clock::time_point(1000s);

TEST_CASE("freshness: a node is fresh once it has applied what the stream held when asked") {
  Freshness f(5000ms, kT0);
  f.observe(10, kT0);
  auto behind = f.read(7, true, kT0 + 100ms);
  CHECK_FALSE(behind.fresh);
  CHECK(behind.streamPosition == 10);
  CHECK(behind.reason.find("catching up with the stream (applied position 7 of 10)") !=
        std::string::npos);

  auto current = f.read(10, true, kT0 + 200ms);
  CHECK(current.fresh);
  CHECK(current.lagMs == 200);
  CHECK(current.reason.empty());
}

TEST_CASE("freshness: cut off, a node turns stale maxStaleness after it was last current") {
  Freshness f(5000ms, kT0);
  f.observe(3, kT0);
  REQUIRE(f.read(3, true, kT0).fresh);
  // Polls go on while connected, then the server goes away: no more observations.
  f.observe(3, kT0 + 1s);
  CHECK(f.read(3, false, kT0 + 6s).fresh);  // exactly maxStaleness after the last observation
  auto stale = f.read(3, false, kT0 + 6s + 1ms);
  CHECK_FALSE(stale.fresh);
  CHECK(stale.lagMs == 5001);
  CHECK(stale.reason.find("not connected to the stream") != std::string::npos);
}

TEST_CASE("freshness: back but behind is still stale, and fresh again once caught up") {
  Freshness f(5000ms, kT0);
  f.observe(3, kT0);
  REQUIRE(f.read(3, true, kT0).fresh);
  // Back after 20 s: the stream has moved on to 8 while the node was away.
  f.observe(8, kT0 + 20s);
  auto behind = f.read(3, true, kT0 + 20s + 10ms);
  CHECK_FALSE(behind.fresh);
  CHECK(behind.lagMs == 20010);  // still counted from the last moment it was current
  CHECK(behind.reason.find("applied position 3 of 8") != std::string::npos);
  // Part of the way is not enough.
  CHECK_FALSE(f.read(7, true, kT0 + 20s + 20ms).fresh);
  auto caughtUp = f.read(8, true, kT0 + 20s + 30ms);
  CHECK(caughtUp.fresh);
  CHECK(caughtUp.lagMs == 30);
}

TEST_CASE("freshness: a node's own writes past every observation keep the last one's time") {
  Freshness f(5000ms, kT0);
  f.observe(5, kT0);
  // The node appended 6 and 7 itself; nothing observed since: current as of kT0 only.
  auto r = f.read(7, true, kT0 + 4s);
  CHECK(r.fresh);
  CHECK(r.lagMs == 4000);
  CHECK_FALSE(f.read(7, true, kT0 + 5001ms).fresh);
}

TEST_CASE(
    "freshness: a node never current is stale from its start, and an older observation does "
    "not make it fresher") {
  Freshness f(5000ms, kT0);
  auto never = f.read(0, true, kT0 + 1s);
  CHECK_FALSE(never.fresh);
  CHECK(never.lagMs == 1000);
  f.observe(4, kT0 + 10s);
  REQUIRE(f.read(4, true, kT0 + 10s).fresh);
  // An observation taken before the node was last known current tells nothing new.
  f.observe(9, kT0 + 2s);
  auto r = f.read(4, true, kT0 + 12s);
  CHECK(r.fresh);
  CHECK(r.lagMs == 2000);
}

TEST_CASE(
    "freshness: an answer below an end already observed is dropped, however late it was asked "
    "(a resumed old leader's stale answer)") {
  Freshness f(1000ms, kT0);
  f.observe(1, kT0);
  REQUIRE(f.read(1, true, kT0).fresh);
  f.observe(2, kT0 + 500ms);  // the revocation, seen by a legitimate leader
  // The old leader resumes and answers from its old state, asked later than that.
  f.observe(1, kT0 + 3s);
  auto r = f.read(1, true, kT0 + 3s);
  CHECK_FALSE(r.fresh);
  CHECK(r.streamPosition == 2);
  CHECK(r.reason.find("applied position 1 of 2") != std::string::npos);
  CHECK(f.read(2, true, kT0 + 1s).fresh);  // caught up: current as of the observation of 2
}

}  // namespace
}  // namespace pitlog::cluster
