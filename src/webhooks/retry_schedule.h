#pragma once
// When a webhook message's next attempt is due, or that it is given up: the retry schedule the
// Standard Webhooks specification recommends, cut at 24 hours.
//
//   attempt   1    2     3      4       5      6      7       8 (the last)
//   delay     0    5 s   5 min  30 min  2 h    5 h    10 h    10 h, cut at 24 h
//   at        0    5 s   5:05   35:05   2:35:05 7:35:05 17:35:05 24:00:00
//
// Each delay is drawn within ±10 % of its step (jitter, so that a receiver that failed under
// load is not hit again by every sender at once), and no attempt is ever due later than 24 h
// after the first: the delay that would cross it lands on it, and once an attempt made at or
// after it has failed, the message is given up. `scale` shrinks the whole schedule, 24 h
// included, for tests (pitd's test-only flag): 0.001 makes it 5 ms, 300 ms, ... and 86.4 s.
//
// Thread-safety: retryAfter() is pure; a RetryJitter belongs to one thread.
#include <chrono>
#include <cstdint>
#include <random>

namespace pitlog::webhooks {

inline constexpr std::chrono::hours kRetryWindow{24};
inline constexpr double kRetryJitter = 0.10;

struct RetryDecision {
  bool givenUp = false;
  std::chrono::milliseconds delay{0};  // from the last failure to the next attempt, if any
};

// What follows `failedAttempts` failed attempts of one message (0: none yet, its first attempt is
// due at once), the last of which failed `sinceFirstAttempt` after the first attempt began.
// `jitter` in [-1, 1] picks the point in the ±10 % band (0: the step itself). Throws
// (KJ_REQUIRE) on a negative count or duration, jitter outside [-1, 1], or a scale that is not a
// finite number > 0.
RetryDecision retryAfter(int failedAttempts, std::chrono::milliseconds sinceFirstAttempt,
                         double jitter, double scale = 1.0);

// The seedable source of retryAfter()'s jitter: uniform in [-1, 1]. Seeded from
// std::random_device by default; a fixed seed replays the same draws (tests).
class RetryJitter {
 public:
  RetryJitter() : RetryJitter(std::random_device{}()) {}
  explicit RetryJitter(uint64_t seed) : engine_(seed) {}
  double draw() { return uniform_(engine_); }

 private:
  std::mt19937_64 engine_;
  std::uniform_real_distribution<double> uniform_{-1.0, 1.0};
};

}  // namespace pitlog::webhooks
