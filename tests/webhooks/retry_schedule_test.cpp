// The retry schedule: the specification's steps, the 24-hour cut, the jitter band, the scale.
#include "webhooks/retry_schedule.h"

#include <kj/exception.h>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

using namespace pitlog::webhooks;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

namespace {

// When each attempt of a message that always fails is made, relative to the first, with the
// jitter drawn by `draw` (attempts are taken to fail at once).
template <typename Draw>
std::vector<milliseconds> attemptTimes(Draw draw, double scale = 1.0) {
  std::vector<milliseconds> times;
  milliseconds now(0);
  for (int failed = 0;; ++failed) {
    RetryDecision next = retryAfter(failed, failed == 0 ? milliseconds(0) : now, draw(), scale);
    if (next.givenUp) break;
    now += next.delay;
    times.push_back(now);
    REQUIRE(times.size() < 100);
  }
  return times;
}

}  // namespace

TEST_CASE("Without jitter the attempts follow the specification's steps and end at 24 hours") {
  const std::vector<milliseconds> expected = {
      milliseconds(0),
      seconds(5),
      minutes(5) + seconds(5),
      minutes(35) + seconds(5),
      hours(2) + minutes(35) + seconds(5),
      hours(7) + minutes(35) + seconds(5),
      hours(17) + minutes(35) + seconds(5),
      hours(24),  // 10 h more would be 27:35:05: the last retry is cut to land at 24 h
  };
  CHECK(attemptTimes([] { return 0.0; }) == expected);
}

TEST_CASE("A message whose last attempt was at or after 24 hours is given up, before it is not") {
  CHECK(retryAfter(8, hours(24), 0.0).givenUp);
  CHECK(retryAfter(8, hours(30), 0.0).givenUp);
  RetryDecision justBefore = retryAfter(7, hours(24) - milliseconds(1), 0.0);
  CHECK_FALSE(justBefore.givenUp);
  CHECK(justBefore.delay == milliseconds(1));
}

TEST_CASE("The first attempt is due at once, and later steps repeat 10 hours") {
  CHECK(retryAfter(0, milliseconds(0), 1.0).delay == milliseconds(0));
  CHECK(retryAfter(6, hours(1), 0.0).delay == hours(10));
  CHECK(retryAfter(7, hours(1), 0.0).delay == hours(10));
  CHECK(retryAfter(50, hours(1), 0.0).delay == hours(10));
}

TEST_CASE("Jitter moves each delay within plus or minus 10 percent of its step") {
  CHECK(retryAfter(1, milliseconds(0), -1.0).delay == milliseconds(4500));
  CHECK(retryAfter(1, milliseconds(0), 1.0).delay == milliseconds(5500));
  CHECK(retryAfter(2, seconds(5), 0.5).delay == seconds(315));
  CHECK(retryAfter(4, hours(1), -0.5).delay == minutes(114));
}

TEST_CASE("With random jitter no attempt is due after 24 hours and the last lands on it") {
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    RetryJitter jitter(seed);
    auto times = attemptTimes([&] { return jitter.draw(); });
    INFO("seed " << seed);
    REQUIRE(times.size() >= 8);
    CHECK(times.back() == hours(24));
    for (size_t i = 1; i < times.size(); ++i) CHECK(times[i] > times[i - 1]);
    for (size_t i = 1; i + 1 < times.size() && i <= 6; ++i) {  // the uncut steps
      const double step = std::vector<double>{5, 300, 1800, 7200, 18000, 36000}[i - 1] * 1000;
      const double delay = double((times[i] - times[i - 1]).count());
      CHECK(delay >= step * 0.9 - 1);
      CHECK(delay <= step * 1.1 + 1);
    }
  }
}

TEST_CASE("A seeded jitter source replays its draws, in [-1, 1] and on both sides of 0") {
  RetryJitter a(42), b(42), c(43);
  bool below = false, above = false, differs = false;
  for (int i = 0; i < 1000; ++i) {
    const double x = a.draw();
    CHECK(x == b.draw());
    differs = differs || x != c.draw();
    CHECK(x >= -1.0);
    CHECK(x <= 1.0);
    below = below || x < 0;
    above = above || x > 0;
  }
  CHECK(below);
  CHECK(above);
  CHECK(differs);
}

TEST_CASE("The scale shrinks every step and the 24-hour window alike") {
  auto times = attemptTimes([] { return 0.0; }, 0.001);
  const std::vector<milliseconds> expected = {
      milliseconds(0), milliseconds(5), milliseconds(305), milliseconds(2105),
      milliseconds(9305), milliseconds(27305), milliseconds(63305), milliseconds(86400)};
  CHECK(times == expected);
  CHECK(retryAfter(9, milliseconds(86400), 0.0, 0.001).givenUp);
}

TEST_CASE("Impossible inputs to the retry schedule are refused") {
  CHECK_THROWS_AS(retryAfter(-1, milliseconds(0), 0.0), kj::Exception);
  CHECK_THROWS_AS(retryAfter(1, milliseconds(-1), 0.0), kj::Exception);
  CHECK_THROWS_AS(retryAfter(1, milliseconds(0), 1.5), kj::Exception);
  CHECK_THROWS_AS(retryAfter(1, milliseconds(0), std::nan("")), kj::Exception);
  CHECK_THROWS_AS(retryAfter(1, milliseconds(0), 0.0, 0.0), kj::Exception);
  CHECK_THROWS_AS(retryAfter(1, milliseconds(0), 0.0, -1.0), kj::Exception);
  CHECK_THROWS_AS(retryAfter(1, milliseconds(0), 0.0, std::numeric_limits<double>::infinity()),
                  kj::Exception);
}
