#include "server/expiry_scheduler.h"

#include <kj/exception.h>

#include "server/log.h"

namespace pitlog::server {

kj::Promise<void> ExpiryScheduler::run() {
  // A failed tick (the database could not be read) is logged and retried at the next one: the
  // scheduler must outlive a transient fault, and verification does not depend on it.
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([this]() {
                if (size_t queued = engine_.scheduleDueExpiries(); queued > 0) {
                  // Each expiry commits with actor `system`; a duplicate from an earlier tick
                  // whose command is still queued decides to do nothing.
                  log::write(spdlog::level::debug, "expiry scheduler queued expiries",
                             {{"count", std::to_string(queued)}});
                }
              })) {
    log::error("expiry scheduler tick failed", {{"error", e->getDescription().cStr()}});
  }
  return timer_.afterDelay(tick_).then([this]() { return run(); });
}

}  // namespace pitlog::server
