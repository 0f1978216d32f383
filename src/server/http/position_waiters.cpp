#include "server/http/position_waiters.h"

namespace pitlog::server::http {

kj::Promise<bool> PositionWaiters::waitFor(uint64_t wanted, kj::Duration limit) {
  if (position_() >= wanted) return true;
  auto paf = kj::newPromiseAndFulfiller<void>();
  waiters_.emplace(wanted, kj::mv(paf.fulfiller));
  if (!ticking_) {
    // The previous loop (if any) has ended: replacing its promise destroys nothing running.
    ticking_ = true;
    loop_ = tick().eagerlyEvaluate(nullptr);
  }
  return paf.promise.then([]() { return true; })
      .exclusiveJoin(timer_.afterDelay(limit).then([]() { return false; }));
}

kj::Promise<void> PositionWaiters::tick() {
  return timer_.afterDelay(kPollInterval).then([this]() -> kj::Promise<void> {
    if (poll()) return tick();
    ticking_ = false;
    return kj::READY_NOW;
  });
}

bool PositionWaiters::poll() {
  const uint64_t now = position_();
  auto reached = waiters_.upper_bound(now);
  for (auto it = waiters_.begin(); it != reached; it = waiters_.erase(it)) it->second->fulfill();
  // Requests that gave up (their limit passed, or the client hung up) dropped their promise.
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    it = it->second->isWaiting() ? std::next(it) : waiters_.erase(it);
  }
  return !waiters_.empty();
}

}  // namespace pitlog::server::http
