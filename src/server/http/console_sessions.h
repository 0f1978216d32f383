#pragma once
// The admin console's sign-in links and sessions (API.md "Admin console"): their rules, in this
// one place, over a store behind a seam (console_session_store.h): this process's memory on a
// single node, a JetStream key-value bucket the nodes share in a cluster. Neither is history
// (DESIGN.md "What is not history"). Both secrets are 32 bytes from OpenSSL's CSPRNG, handed out
// once in base64url and stored only as their SHA-256 digest, so neither a memory dump nor the
// bucket shows a usable credential.
//
//   link:    single use, valid strictly before issuedAt + kLinkLifetime. Redeeming marks it spent
//            over the revision read (compare and swap): of two redemptions racing on one code,
//            on one node or two, exactly one opens a session.
//   session: valid while idle less than kIdleTimeout and strictly before start + kMaxLifetime.
//            A request refreshes the idle deadline only when the last refresh is kRefreshEvery
//            old or more, so a busy session costs one store write a minute, not one a request.
//            The price: a session ends between kIdleTimeout - kRefreshEvery and kIdleTimeout
//            after its last request (29 to 30 minutes), never later.
//
// A store that cannot answer makes each call answer `unavailable` (the caller answers 503): never
// "no such session" and never a session that the store did not confirm.
//
// Time comes from the clock passed in (milliseconds since the epoch) so the tests can move it.
// Not thread-safe: one per event loop (ApiService holds one).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "events/event.h"
#include "server/http/console_session_store.h"

namespace pitlog::server::http {

inline constexpr std::string_view kSessionCookie = "pitlog_console";

// The outcome of a console session call: the value when granted; else `unavailable` holds why
// the store could not answer (fail closed), or nothing when the answer is simply no.
template <typename T>
struct ConsoleAnswer {
  std::optional<T> value;
  std::optional<std::string> unavailable;
  static ConsoleAnswer no() { return {}; }
  static ConsoleAnswer down(std::string why) { return {std::nullopt, std::move(why)}; }
};

class ConsoleSessions {
 public:
  using Clock = std::function<int64_t()>;
  static constexpr int64_t kLinkLifetimeMs = 2 * 60 * 1000;
  static constexpr int64_t kIdleTimeoutMs = 30 * 60 * 1000;
  static constexpr int64_t kMaxLifetimeMs = 12 * 60 * 60 * 1000;
  static constexpr int64_t kRefreshEveryMs = 60 * 1000;

  // Without a store: this process's memory (MemoryConsoleSessionStore).
  explicit ConsoleSessions(Clock clock, std::unique_ptr<ConsoleSessionStore> store = nullptr);
  ~ConsoleSessions();

  // Replaces the store (pitd's wiring, before serving): a cluster's shared one; null: a new
  // memory store (at shutdown, so that the shared one goes before its connection).
  void setStore(std::unique_ptr<ConsoleSessionStore> store);

  struct Link {
    std::string code;  // the secret, for the URL; never stored
    int64_t expiresAt = 0;
  };
  // A sign-in link for `actor`. Throws std::runtime_error when the CSPRNG fails.
  ConsoleAnswer<Link> issueLink(const events::Actor& actor);

  struct Session {
    std::string id;  // the secret, for the cookie; never stored
    events::Actor actor;
    int64_t expiresAt = 0;  // the absolute deadline (kMaxLifetime)
  };
  // Spends the link and opens a session; no for an unknown, used or expired code (a code opens
  // at most one session, whatever happens).
  ConsoleAnswer<Session> redeem(std::string_view code);

  // The actor of a live session, refreshing its idle deadline (see kRefreshEvery); no when the id
  // is unknown, signed out, idle for kIdleTimeout or older than kMaxLifetime (and then forgotten).
  ConsoleAnswer<events::Actor> authenticate(std::string_view sessionId);

  // Ends the session; an unknown id is no error. The reason when the store could not be reached
  // (the session may then still be live).
  [[nodiscard]] std::optional<std::string> end(std::string_view sessionId);

 private:
  // Lets the store drop what has ended, at most once every kSweepEvery.
  void sweep(int64_t now);

  Clock clock_;
  std::unique_ptr<ConsoleSessionStore> store_;
  int64_t nextSweep_ = 0;
};

// The Set-Cookie value of a new session: HttpOnly, SameSite=Strict, Path=/, Max-Age of the
// session's absolute lifetime, and Secure when pitd serves TLS.
std::string sessionCookie(std::string_view sessionId, bool secure);
// The Set-Cookie value that removes it (sign-out).
std::string clearedSessionCookie(bool secure);
// The session id in a Cookie header (RFC 6265 §4.2: `name=value; name=value`), when there.
std::optional<std::string> sessionIdFromCookies(std::string_view cookieHeader);

}  // namespace pitlog::server::http
