// The console's sign-in links and sessions (server/http/console_sessions.h): single use,
// expiry, idle timeout, absolute lifetime, and the cookie's attributes, on a clock the test moves.
#include <catch2/catch.hpp>

#include "server/http/console_sessions.h"

using namespace pitlog::server::http;
using pitlog::events::Actor;
using pitlog::events::Role;

namespace {

struct Fixture {
  int64_t now = 1'800'000'000'000;
  ConsoleSessions sessions{[this] { return now; }};
  Actor alice{"acme", "alice", Role::admin};
};

constexpr int64_t kMinute = 60 * 1000;

}  // namespace

TEST_CASE("a console sign-in link opens one session for its actor, once") {
  Fixture f;
  auto link = f.sessions.issueLink(f.alice);
  CHECK(link.code.size() == 43);  // 32 bytes in base64url
  CHECK(link.expiresAt == f.now + 2 * kMinute);
  auto session = f.sessions.redeem(link.code);
  REQUIRE(session);
  CHECK(session->actor.accountId == "acme");
  CHECK(session->actor.userId == "alice");
  CHECK(session->actor.role == Role::admin);
  CHECK(session->id != link.code);
  CHECK_FALSE(f.sessions.redeem(link.code));  // used
  auto actor = f.sessions.authenticate(session->id);
  REQUIRE(actor);
  CHECK(actor->userId == "alice");
}

TEST_CASE("a console sign-in link is valid strictly before two minutes") {
  Fixture f;
  auto early = f.sessions.issueLink(f.alice);
  auto late = f.sessions.issueLink(f.alice);
  f.now += 2 * kMinute - 1;
  CHECK(f.sessions.redeem(early.code));
  f.now += 1;
  CHECK_FALSE(f.sessions.redeem(late.code));
}

TEST_CASE("an unknown or altered sign-in code opens nothing, and codes differ") {
  Fixture f;
  auto link = f.sessions.issueLink(f.alice);
  CHECK(f.sessions.issueLink(f.alice).code != link.code);
  std::string altered = link.code;
  altered[0] = altered[0] == 'A' ? 'B' : 'A';
  CHECK_FALSE(f.sessions.redeem(altered));
  CHECK_FALSE(f.sessions.redeem(""));
  CHECK(f.sessions.redeem(link.code));  // the altered attempt did not spend the real one
}

TEST_CASE("a console session ends after 30 idle minutes, and use keeps it alive") {
  Fixture f;
  auto session = f.sessions.redeem(f.sessions.issueLink(f.alice).code);
  REQUIRE(session);
  f.now += 30 * kMinute - 1;
  CHECK(f.sessions.authenticate(session->id));  // refreshed here
  f.now += 30 * kMinute - 1;
  CHECK(f.sessions.authenticate(session->id));
  f.now += 30 * kMinute;
  CHECK_FALSE(f.sessions.authenticate(session->id));
  f.now -= 1;  // even going back: an ended session is forgotten
  CHECK_FALSE(f.sessions.authenticate(session->id));
}

TEST_CASE("a console session ends after 12 hours however busy") {
  Fixture f;
  auto session = f.sessions.redeem(f.sessions.issueLink(f.alice).code);
  REQUIRE(session);
  CHECK(session->expiresAt == f.now + 12 * 60 * kMinute);
  const int64_t end = session->expiresAt;
  while (f.now + 20 * kMinute < end) {
    f.now += 20 * kMinute;
    REQUIRE(f.sessions.authenticate(session->id));
  }
  f.now = end - 1;
  CHECK(f.sessions.authenticate(session->id));
  f.now = end;
  CHECK_FALSE(f.sessions.authenticate(session->id));
}

TEST_CASE("signing out ends only that console session") {
  Fixture f;
  auto one = f.sessions.redeem(f.sessions.issueLink(f.alice).code);
  auto two = f.sessions.redeem(f.sessions.issueLink(f.alice).code);
  REQUIRE(one);
  REQUIRE(two);
  f.sessions.end(one->id);
  f.sessions.end("never-issued");
  CHECK_FALSE(f.sessions.authenticate(one->id));
  CHECK(f.sessions.authenticate(two->id));
}

TEST_CASE("expired console links and sessions are swept from memory") {
  Fixture f;
  for (int i = 0; i < 10; ++i) (void)f.sessions.issueLink(f.alice);
  auto session = f.sessions.redeem(f.sessions.issueLink(f.alice).code);
  REQUIRE(session);
  CHECK(f.sessions.pendingLinks() == 10);
  f.now += 13 * 60 * kMinute;
  (void)f.sessions.issueLink(f.alice);  // sweeps
  CHECK(f.sessions.pendingLinks() == 1);
  CHECK(f.sessions.liveSessions() == 0);
}

TEST_CASE("the console session cookie is HttpOnly, SameSite=Strict, Path=/, Secure under TLS") {
  CHECK(sessionCookie("abc", false) ==
        "pitlog_console=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200");
  CHECK(sessionCookie("abc", true) ==
        "pitlog_console=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200; Secure");
  CHECK(clearedSessionCookie(false) == "pitlog_console=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
  CHECK(clearedSessionCookie(true).ends_with("; Max-Age=0; Secure"));
}

TEST_CASE("the console session id is read from a Cookie header among others") {
  CHECK(sessionIdFromCookies("pitlog_console=xyz") == std::optional<std::string>("xyz"));
  CHECK(sessionIdFromCookies("a=1; pitlog_console=xyz; b=2") == std::optional<std::string>("xyz"));
  CHECK(sessionIdFromCookies("a=1;pitlog_console=xyz") == std::optional<std::string>("xyz"));
  CHECK_FALSE(sessionIdFromCookies("pitlog_consolex=xyz"));
  CHECK_FALSE(sessionIdFromCookies("xpitlog_console=xyz"));
  CHECK_FALSE(sessionIdFromCookies("pitlog_console="));
  CHECK_FALSE(sessionIdFromCookies(""));
}
