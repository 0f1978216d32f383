#pragma once
// One console store for all of pitd's HTTP event loops (console_session_store.h): a sign-in link
// issued on one loop must redeem on another, and a sign-out on one must end the session on every
// one. Each loop's ConsoleSessions holds a handle(); the handles' calls take one lock in turn.
//
// The rules stay in ConsoleSessions: the store is a versioned map whose update() is a compare and
// swap, so two loops racing to redeem one link still open exactly one session - the lock only
// keeps the map itself (or a cluster's bucket handle) from being entered by two threads at once.
// Console traffic is a person clicking; the lock is never on the introspection path.
//
// Thread-safety: handle()'s stores may be called from any thread; this object must outlive them.
#include <memory>
#include <mutex>

#include "server/http/console_session_store.h"

namespace pitlog::server::http {

class SharedConsoleSessionStore {
 public:
  explicit SharedConsoleSessionStore(std::unique_ptr<ConsoleSessionStore> store)
      : store_(std::move(store)) {}

  // A store for one event loop's ConsoleSessions, forwarding to the shared one under the lock.
  std::unique_ptr<ConsoleSessionStore> handle();

 private:
  class Handle;
  std::mutex mu_;
  std::unique_ptr<ConsoleSessionStore> store_;
};

}  // namespace pitlog::server::http
