#pragma once
// The admin console's sign-in links and sessions (API.md "Admin console"). Neither is history
// (DESIGN.md "What is not history"): they live in this process's memory only, and a restart
// signs everyone out. Both secrets are 32 bytes from OpenSSL's CSPRNG, handed out once in
// base64url and kept only as their SHA-256 digest, so a memory dump shows no usable credential.
//
//   link:    single use, valid strictly before issuedAt + kLinkLifetime;
//   session: valid while idle less than kIdleTimeout and strictly before start + kMaxLifetime;
//            every authenticated request refreshes its idle deadline.
//
// Time comes from the clock passed in (milliseconds since the epoch) so the tests can move it.
// Not thread-safe: one per event loop (ApiService holds one).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "events/digest.h"
#include "events/event.h"

namespace pitlog::server::http {

inline constexpr std::string_view kSessionCookie = "pitlog_console";

class ConsoleSessions {
 public:
  using Clock = std::function<int64_t()>;
  static constexpr int64_t kLinkLifetimeMs = 2 * 60 * 1000;
  static constexpr int64_t kIdleTimeoutMs = 30 * 60 * 1000;
  static constexpr int64_t kMaxLifetimeMs = 12 * 60 * 60 * 1000;

  explicit ConsoleSessions(Clock clock);

  struct Link {
    std::string code;  // the secret, for the URL; never stored
    int64_t expiresAt = 0;
  };
  // A sign-in link for `actor`. Throws std::runtime_error when the CSPRNG fails.
  Link issueLink(const events::Actor& actor);

  struct Session {
    std::string id;  // the secret, for the cookie; never stored
    events::Actor actor;
    int64_t expiresAt = 0;  // the absolute deadline (kMaxLifetime)
  };
  // Spends the link (whatever the outcome, a code works at most once) and opens a session.
  // nullopt for an unknown, used or expired code.
  std::optional<Session> redeem(std::string_view code);

  // The actor of a live session, refreshing its idle deadline; nullopt when the id is unknown,
  // idle for kIdleTimeout or older than kMaxLifetime (and then forgotten).
  std::optional<events::Actor> authenticate(std::string_view sessionId);

  // Forgets the session; an unknown id is no error.
  void end(std::string_view sessionId);

  size_t liveSessions() const { return sessions_.size(); }
  size_t pendingLinks() const { return links_.size(); }

 private:
  struct DigestHash {
    size_t operator()(const events::Digest& d) const;
  };
  struct PendingLink {
    events::Actor actor;
    int64_t expiresAt;
  };
  struct LiveSession {
    events::Actor actor;
    int64_t idleUntil;
    int64_t endsAt;
  };
  // Drops what has expired, so memory stays bounded by what was issued in the last 12 h.
  void sweep(int64_t now);

  Clock clock_;
  int64_t nextSweep_ = 0;
  std::unordered_map<events::Digest, PendingLink, DigestHash> links_;
  std::unordered_map<events::Digest, LiveSession, DigestHash> sessions_;
};

// The Set-Cookie value of a new session: HttpOnly, SameSite=Strict, Path=/, Max-Age of the
// session's absolute lifetime, and Secure when pitd serves TLS.
std::string sessionCookie(std::string_view sessionId, bool secure);
// The Set-Cookie value that removes it (sign-out).
std::string clearedSessionCookie(bool secure);
// The session id in a Cookie header (RFC 6265 §4.2: `name=value; name=value`), when there.
std::optional<std::string> sessionIdFromCookies(std::string_view cookieHeader);

}  // namespace pitlog::server::http
