// The console's sign-in links and sessions (server/http/console_sessions.h): single use, expiry,
// idle timeout and its refresh, absolute lifetime, failing closed when the store cannot answer,
// races between two nodes on one store, and the cookie's attributes, on a clock the test moves.
#include <catch2/catch.hpp>

#include <functional>

#include "server/http/console_sessions.h"
#include "server/http/memory_console_session_store.h"

using namespace pitlog::server::http;
using pitlog::events::Actor;
using pitlog::events::Role;

namespace {

constexpr int64_t kMinute = 60 * 1000;

// A store over another (shared by two ConsoleSessions, as a cluster's nodes share a bucket) that
// counts writes, can be made unreachable, and can run something between a read and the write that
// follows it (another node acting in between).
class SharedStore : public ConsoleSessionStore {
 public:
  explicit SharedStore(ConsoleSessionStore& inner) : inner_(inner) {}
  Status create(const ConsoleKey& k, const ConsoleEntry& e, std::string* error) override {
    if (down) return unreachable(error);
    ++writes;
    return inner_.create(k, e, error);
  }
  Read get(const ConsoleKey& k, std::string* error) override {
    if (down) {
      (void)unreachable(error);
      return Read{Status::unavailable, {}, 0};
    }
    Read r = inner_.get(k, error);
    if (afterRead) std::exchange(afterRead, nullptr)();
    return r;
  }
  Status update(const ConsoleKey& k, const ConsoleEntry& e, uint64_t rev,
                std::string* error) override {
    if (down) return unreachable(error);
    ++writes;
    return inner_.update(k, e, rev, error);
  }
  Status remove(const ConsoleKey& k, std::string* error) override {
    if (down) return unreachable(error);
    ++writes;
    return inner_.remove(k, error);
  }
  void sweep(int64_t now) override { inner_.sweep(now); }

  bool down = false;
  int writes = 0;
  std::function<void()> afterRead;  // runs once, after the next read

 private:
  Status unreachable(std::string* error) {
    *error = "not connected to a NATS server";
    return Status::unavailable;
  }
  ConsoleSessionStore& inner_;
};

struct Fixture {
  int64_t now = 1'800'000'000'000;
  MemoryConsoleSessionStore memory;
  SharedStore* store = nullptr;  // node one's view of `memory`, owned by `sessions`
  ConsoleSessions sessions{[this] { return now; }, shared(&store)};
  Actor alice{"acme", "alice", Role::admin};

  std::unique_ptr<ConsoleSessionStore> shared(SharedStore** view) {
    auto s = std::make_unique<SharedStore>(memory);
    if (view != nullptr) *view = s.get();
    return s;
  }
  // Another node on the same store and clock.
  std::unique_ptr<ConsoleSessions> otherNode(SharedStore** view = nullptr) {
    return std::make_unique<ConsoleSessions>([this] { return now; }, shared(view));
  }

  ConsoleSessions::Link issue() {
    auto link = sessions.issueLink(alice);
    REQUIRE(link.value);
    return *link.value;
  }
};

std::optional<ConsoleSessions::Session> redeem(ConsoleSessions& s, std::string_view code) {
  auto r = s.redeem(code);
  REQUIRE_FALSE(r.unavailable);
  return r.value;
}

std::optional<Actor> authenticate(ConsoleSessions& s, std::string_view id) {
  auto r = s.authenticate(id);
  REQUIRE_FALSE(r.unavailable);
  return r.value;
}

}  // namespace

TEST_CASE("a console sign-in link opens one session for its actor, once") {
  Fixture f;
  auto link = f.issue();
  CHECK(link.code.size() == 43);  // 32 bytes in base64url
  CHECK(link.expiresAt == f.now + 2 * kMinute);
  auto session = redeem(f.sessions, link.code);
  REQUIRE(session);
  CHECK(session->actor.accountId == "acme");
  CHECK(session->actor.userId == "alice");
  CHECK(session->actor.role == Role::admin);
  CHECK(session->id != link.code);
  CHECK_FALSE(redeem(f.sessions, link.code));  // used
  auto actor = authenticate(f.sessions, session->id);
  REQUIRE(actor);
  CHECK(actor->userId == "alice");
}

TEST_CASE("a console sign-in link is valid strictly before two minutes") {
  Fixture f;
  auto early = f.issue();
  auto late = f.issue();
  f.now += 2 * kMinute - 1;
  CHECK(redeem(f.sessions, early.code));
  f.now += 1;
  CHECK_FALSE(redeem(f.sessions, late.code));
}

TEST_CASE("an unknown or altered sign-in code opens nothing, and codes differ") {
  Fixture f;
  auto link = f.issue();
  CHECK(f.issue().code != link.code);
  std::string altered = link.code;
  altered[0] = altered[0] == 'A' ? 'B' : 'A';
  CHECK_FALSE(redeem(f.sessions, altered));
  CHECK_FALSE(redeem(f.sessions, ""));
  CHECK(redeem(f.sessions,
               link.code));  // the altered attempt did not spend the real one
}

TEST_CASE("a console session ends after 30 idle minutes, and use keeps it alive") {
  Fixture f;
  auto session = redeem(f.sessions, f.issue().code);
  REQUIRE(session);
  f.now += 30 * kMinute - 1;
  CHECK(authenticate(f.sessions, session->id));  // refreshed here
  f.now += 30 * kMinute - 1;
  CHECK(authenticate(f.sessions, session->id));
  f.now += 30 * kMinute;
  CHECK_FALSE(authenticate(f.sessions, session->id));
  f.now -= 1;  // even going back: an ended session is forgotten
  CHECK_FALSE(authenticate(f.sessions, session->id));
}

TEST_CASE("a console session ends after 12 hours however busy") {
  Fixture f;
  auto session = redeem(f.sessions, f.issue().code);
  REQUIRE(session);
  CHECK(session->expiresAt == f.now + 12 * 60 * kMinute);
  const int64_t end = session->expiresAt;
  while (f.now + 20 * kMinute < end) {
    f.now += 20 * kMinute;
    REQUIRE(authenticate(f.sessions, session->id));
  }
  f.now = end - 1;
  CHECK(authenticate(f.sessions, session->id));
  f.now = end;
  CHECK_FALSE(authenticate(f.sessions, session->id));
}

TEST_CASE("signing out ends only that console session") {
  Fixture f;
  auto one = redeem(f.sessions, f.issue().code);
  auto two = redeem(f.sessions, f.issue().code);
  REQUIRE(one);
  REQUIRE(two);
  CHECK_FALSE(f.sessions.end(one->id));
  CHECK_FALSE(f.sessions.end("never-issued"));
  CHECK_FALSE(authenticate(f.sessions, one->id));
  CHECK(authenticate(f.sessions, two->id));
}

TEST_CASE("expired console links and sessions are swept from memory") {
  Fixture f;
  for (int i = 0; i < 10; ++i) (void)f.issue();
  auto session = redeem(f.sessions, f.issue().code);
  REQUIRE(session);
  CHECK(f.memory.size() == 12);  // ten links, one spent link, one session
  f.now += 13 * 60 * kMinute;
  (void)f.issue();  // sweeps
  CHECK(f.memory.size() == 1);
}

TEST_CASE("a console session's idle deadline is written at most once a minute") {
  Fixture f;
  auto session = redeem(f.sessions, f.issue().code);
  REQUIRE(session);
  const int64_t opened = f.now;
  const int writes = f.store->writes;
  for (int i = 0; i < 59; ++i) {
    f.now += 1000;
    REQUIRE(authenticate(f.sessions, session->id));
  }
  CHECK(f.store->writes == writes);  // 59 requests in the first minute: no write
  f.now = opened + kMinute;
  REQUIRE(authenticate(f.sessions, session->id));
  CHECK(f.store->writes == writes + 1);  // a minute after the last write: refreshed once
  f.now = opened + kMinute + 30 * kMinute - 1;
  CHECK(authenticate(f.sessions, session->id));
}

TEST_CASE("a console session used within a minute of its last refresh ends up to a minute early") {
  Fixture f;
  auto session = redeem(f.sessions, f.issue().code);
  REQUIRE(session);
  const int64_t opened = f.now;
  f.now = opened + kMinute - 1;  // used, not refreshed
  REQUIRE(authenticate(f.sessions, session->id));
  f.now = opened + 30 * kMinute;  // 29 minutes after that use: over, never later than 30
  CHECK_FALSE(authenticate(f.sessions, session->id));
}

TEST_CASE("console calls answer unavailable, never yes or no, while the store cannot answer") {
  Fixture f;
  auto link = f.issue();
  auto session = redeem(f.sessions, f.issue().code);
  REQUIRE(session);
  f.store->down = true;
  auto issued = f.sessions.issueLink(f.alice);
  CHECK_FALSE(issued.value);
  CHECK(issued.unavailable == std::optional<std::string>("not connected to a NATS server"));
  auto redeemed = f.sessions.redeem(link.code);
  CHECK_FALSE(redeemed.value);
  CHECK(redeemed.unavailable);
  auto known = f.sessions.authenticate(session->id);
  CHECK_FALSE(known.value);
  CHECK(known.unavailable);
  CHECK(f.sessions.end(session->id));
  // Nothing was spent or ended meanwhile.
  f.store->down = false;
  CHECK(redeem(f.sessions, link.code));
  CHECK(authenticate(f.sessions, session->id));
}

TEST_CASE("a link issued by one node signs in on another, and the session holds on both") {
  Fixture f;
  auto two = f.otherNode();
  auto session = redeem(*two, f.issue().code);
  REQUIRE(session);
  CHECK(authenticate(f.sessions, session->id));
  CHECK_FALSE(two->end(session->id));
  CHECK_FALSE(authenticate(f.sessions, session->id));
}

TEST_CASE("two nodes redeeming one sign-in code at once open exactly one session") {
  Fixture f;
  auto two = f.otherNode();
  auto link = f.issue();
  std::optional<ConsoleSessions::Session> second;
  // Node two redeems the code after node one read it unspent and before node one spends it.
  f.store->afterRead = [&] { second = redeem(*two, link.code); };
  auto first = redeem(f.sessions, link.code);
  CHECK(second);
  CHECK_FALSE(first);
  CHECK_FALSE(redeem(f.sessions, link.code));
  CHECK_FALSE(redeem(*two, link.code));
}

TEST_CASE("a refresh racing a sign-out on another node does not bring the session back") {
  Fixture f;
  auto two = f.otherNode();
  auto session = redeem(f.sessions, f.issue().code);
  REQUIRE(session);
  f.now += 5 * kMinute;  // due for a refresh
  f.store->afterRead = [&] { CHECK_FALSE(two->end(session->id)); };
  CHECK_FALSE(authenticate(f.sessions, session->id));
  CHECK_FALSE(authenticate(*two, session->id));
  CHECK_FALSE(authenticate(f.sessions, session->id));
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
