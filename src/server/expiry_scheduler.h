#pragma once
// The expiry scheduler: every tick it asks the engine to expire the previous token of each
// rotation window that has elapsed (Expired, reason window_elapsed, actor system). The first tick
// runs at once, which is the catch-up after a restart: windows that elapsed while pitd was down
// are expired then. Verification does not wait for it; a token past its deadline is rejected at
// once. A tick that finds a window already handled, cancelled or deleted writes nothing.
//
// Threading: runs on the event loop thread; stop by dropping the promise run() returns.
#include <kj/async.h>
#include <kj/timer.h>

#include "commands/engine.h"

namespace pitlog::server {

inline constexpr kj::Duration kExpiryTick = 250 * kj::MILLISECONDS;

class ExpiryScheduler {
 public:
  ExpiryScheduler(commands::Engine& engine, kj::Timer& timer, kj::Duration tick = kExpiryTick)
      : engine_(engine), timer_(timer), tick_(tick) {}

  // Never resolves; throws only if the engine does (logged by the caller's error handler).
  kj::Promise<void> run();

 private:
  commands::Engine& engine_;
  kj::Timer& timer_;
  kj::Duration tick_;
};

}  // namespace pitlog::server
