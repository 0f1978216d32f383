#include "webhooks/retry_schedule.h"

#include <algorithm>
#include <array>
#include <cmath>

#include <kj/debug.h>

namespace pitlog::webhooks {

namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

// The delay after the n-th failure (index n - 1); the last step repeats until the window ends.
constexpr std::array<milliseconds, 6> kSteps = {
    seconds(5), minutes(5), minutes(30), hours(2), hours(5), hours(10)};

milliseconds scaled(milliseconds value, double factor) {
  return milliseconds(std::llround(double(value.count()) * factor));
}

}  // namespace

RetryDecision retryAfter(int failedAttempts, milliseconds sinceFirstAttempt, double jitter,
                         double scale) {
  KJ_REQUIRE(failedAttempts >= 0, "a count of failed attempts is not negative", failedAttempts);
  KJ_REQUIRE(sinceFirstAttempt.count() >= 0, "time since the first attempt is not negative",
             sinceFirstAttempt.count());
  KJ_REQUIRE(jitter >= -1.0 && jitter <= 1.0, "jitter is a draw in [-1, 1]", jitter);
  KJ_REQUIRE(std::isfinite(scale) && scale > 0, "the retry schedule's scale is > 0", scale);

  if (failedAttempts == 0) return {false, milliseconds(0)};
  const milliseconds window = scaled(kRetryWindow, scale);
  if (sinceFirstAttempt >= window) return {true, milliseconds(0)};
  const milliseconds step = kSteps[std::min<size_t>(size_t(failedAttempts), kSteps.size()) - 1];
  const milliseconds delay = scaled(step, scale * (1.0 + kRetryJitter * jitter));
  return {false, std::min(delay, window - sinceFirstAttempt)};
}

}  // namespace pitlog::webhooks
