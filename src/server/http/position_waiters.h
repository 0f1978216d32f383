#pragma once
// X-Pitlog-Min-Position (API.md "Cluster mode"): requests that wait until the node has applied a
// given event seq, at most a bounded time.
//
// The waiters are checked by one timer on the event loop every kPollInterval, and only while a
// request waits: the engine reports its own batches (EngineOptions::onBatch) but not the commits
// of other nodes it applies from the stream, which are what a waiter waits for, so there is no
// signal to wake on. A tick costs one atomic load and a look at the lowest wanted position; it
// adds at most kPollInterval to a wait. A request whose client hung up is forgotten at the next
// tick.
//
// Threading: the event loop's thread only.
#include <kj/async.h>
#include <kj/timer.h>

#include <cstdint>
#include <functional>
#include <map>

namespace pitlog::server::http {

class PositionWaiters {
 public:
  static constexpr kj::Duration kPollInterval = 1 * kj::MILLISECONDS;

  // `position`: the seq of the last event applied (any thread may move it forward).
  PositionWaiters(std::function<uint64_t()> position, kj::Timer& timer)
      : position_(std::move(position)), timer_(timer) {}

  // true once position() >= wanted (at once when it is already), false after `limit`.
  kj::Promise<bool> waitFor(uint64_t wanted, kj::Duration limit);

  size_t waiting() const { return waiters_.size(); }

 private:
  kj::Promise<void> tick();  // polls every kPollInterval until nobody waits
  bool poll();               // answers the waiters reached; whether any still wait

  std::function<uint64_t()> position_;
  kj::Timer& timer_;
  std::multimap<uint64_t, kj::Own<kj::PromiseFulfiller<void>>> waiters_;
  bool ticking_ = false;
  kj::Promise<void> loop_ = kj::READY_NOW;  // tick()'s chain, while ticking_
};

}  // namespace pitlog::server::http
