// The RPC front-end end to end: authentication, then every command of an integration's life with
// introspection of every token at each step, permissions, history and audit.
#include <catch2/catch.hpp>

#include <limits>

#include "commands/token.h"
#include "events/digest.h"
#include "events/time_format.h"
#include "rpc_harness.h"

namespace pitlog::rpc::testing {
namespace {

using Expire = schema::Expire;

constexpr int64_t kDay = 24LL * 3600 * 1000;
constexpr int64_t kWeek = 7 * kDay;

// Evaluates `reply` once; on failure shows its code, field and message.
#define REQUIRE_OK(reply)                                               \
  do {                                                                  \
    const auto& ok_ = (reply);                                          \
    INFO(ok_.code << " [" << ok_.field << "] " << ok_.message);         \
    REQUIRE(ok_.ok());                                                  \
  } while (false)

std::string tokenIdOf(const Secret& t) { return events::tokenIdOf(events::sha256(t.reveal())); }
std::string hintOf(const Secret& t) { return commands::tokenHint(commands::tokenTail(t.reveal())); }
std::string at(events::UnixMillis t) { return events::formatRfc3339(t); }

// The token ids an integration lists, current first.
std::vector<std::string> tokenIds(const Integration& v) {
  std::vector<std::string> out;
  for (const auto& t : v.tokens) out.push_back(t.tokenId);
  return out;
}

bool inactive(Harness& h, const Secret& token) {
  auto i = h.introspect(token);
  return !i.active && i.otherFieldsUnset;
}

TEST_CASE("login: a missing or wrong service key is unauthenticated - the right one opens a session") {
  Harness h;
  auto wrong = h.login("not-the-key");
  CHECK(wrong.code == "unauthenticated");
  CHECK(wrong.field == "serviceKey");
  CHECK(h.login("").code == "unauthenticated");
  CHECK(h.login(kServiceKey).ok());

  auto client = h.connect();
  // The bootstrap capability is only a Gateway: Session's methods are not on it.
  auto asSession = client->gateway().castAs<schema::Session>();
  CHECK_THROWS(asSession.scopesRequest().send().wait(h.waitScope()));
  // A refused login yields no session, even to a pipelined call.
  auto login = client->gateway().loginRequest();
  login.setServiceKey("not-the-key");
  auto pipelined = login.send().getResult().getSession();
  CHECK_THROWS(pipelined.scopesRequest().send().wait(h.waitScope()));
  // An accepted one may be used before its answer arrives (promise pipelining).
  auto good = client->gateway().loginRequest();
  good.setServiceKey(kServiceKey);
  auto session = good.send().getResult().getSession();
  CHECK(session.scopesRequest().send().wait(h.waitScope()).getScopes().size() > 0);
  // Nothing was written by any of this.
  CHECK(h.engine().lastSeq() == 0);
}

TEST_CASE("scopes lists the catalogue, sorted") {
  Harness h;
  auto scopes = h.scopes();
  CHECK(scopes == h.engine().catalogue().scopes());
  CHECK(std::is_sorted(scopes.begin(), scopes.end()));
  CHECK(std::find(scopes.begin(), scopes.end(), "contacts.readonly") != scopes.end());
}

TEST_CASE("an integration's whole life over RPC, every token introspected at each step") {
  Harness h;
  const auto alice = admin();
  const auto t0 = h.now();

  // --- create: the token is shown once, in this answer.
  auto created = h.create(alice, "  CRM sync  ",
                          {"contacts.write", "contacts.readonly", "contacts.write"},
                          "pushes contacts", Options{"req-create", std::nullopt, {}, {}});
  REQUIRE_OK(created);
  REQUIRE(created.hasToken);
  const Secret t1 = created.token;
  CHECK(t1.reveal().size() == commands::kTokenLength);
  CHECK(commands::isWellFormedToken(t1.reveal()));
  const auto& v1 = created.integration;
  const std::string id = v1.id;
  CHECK(v1.accountId == "acme");
  CHECK(v1.name == "CRM sync");
  CHECK(v1.description == "pushes contacts");
  CHECK(v1.scopes == std::vector<std::string>{"contacts.readonly", "contacts.write"});
  CHECK(v1.status == "active");
  CHECK(v1.version == 1);
  CHECK(v1.createdAt == "2026-11-28T17:00:00.000Z");
  CHECK(v1.updatedAt == v1.createdAt);
  CHECK(v1.createdBy == "alice");
  REQUIRE(v1.tokens.size() == 1);
  CHECK(v1.tokens[0].state == "current");
  CHECK(v1.tokens[0].tokenId == tokenIdOf(t1));
  CHECK(v1.tokens[0].hint == hintOf(t1));
  CHECK(v1.tokens[0].issuedAt == at(t0));
  CHECK_FALSE(v1.tokens[0].expiresAt);
  CHECK_FALSE(v1.rotationStartedAt);

  auto i1 = h.introspect(t1);
  CHECK(i1.active);
  CHECK(i1.scope == "contacts.readonly contacts.write");
  CHECK(i1.tokenType == "pit");
  CHECK(i1.accountId == "acme");
  CHECK(i1.integrationId == id);
  CHECK(i1.iat == t0 / 1000);
  CHECK_FALSE(i1.exp);
  CHECK_FALSE(i1.allowed);
  CHECK(h.introspect(t1, "contacts.write").allowed == std::optional<bool>(true));
  CHECK(h.introspect(t1, "calendars.readonly").allowed == std::optional<bool>(false));

  // --- get: the same view, and never the token again.
  auto got = h.get(alice, id);
  REQUIRE_OK(got);
  CHECK_FALSE(got.hasToken);
  CHECK(got.integration.version == 1);
  CHECK(tokenIds(got.integration) == std::vector<std::string>{tokenIdOf(t1)});

  // --- edit: the token is unchanged, its grant follows the scopes.
  h.advance(1000);
  auto edited = h.edit(alice, id, "CRM", std::nullopt,
                       std::vector<std::string>{"calendars.readonly"});
  REQUIRE_OK(edited);
  CHECK_FALSE(edited.hasToken);
  CHECK(edited.integration.version == 2);
  CHECK(edited.integration.name == "CRM");
  CHECK(edited.integration.description == "pushes contacts");
  CHECK(edited.integration.scopes == std::vector<std::string>{"calendars.readonly"});
  CHECK(edited.integration.updatedAt == at(h.now()));
  CHECK(tokenIds(edited.integration) == std::vector<std::string>{tokenIdOf(t1)});
  CHECK(h.introspect(t1).scope == "calendars.readonly");
  auto description = h.edit(alice, id, std::nullopt, std::string(""));
  REQUIRE_OK(description);
  CHECK(description.integration.description.empty());
  CHECK(description.integration.version == 3);

  // --- rotate later: both valid, the previous one until the window closes.
  h.advance(1000);
  const auto rotatedAt = h.now();
  auto r1 = h.rotate(alice, id, Expire::LATER);
  REQUIRE_OK(r1);
  REQUIRE(r1.hasToken);
  const Secret t2 = r1.token;
  CHECK_FALSE(t2 == t1);
  CHECK(r1.integration.version == 4);
  REQUIRE(r1.integration.tokens.size() == 2);
  CHECK(r1.integration.current()->tokenId == tokenIdOf(t2));
  CHECK(r1.integration.current()->hint == hintOf(t2));
  CHECK_FALSE(r1.integration.current()->expiresAt);
  CHECK(r1.integration.previous()->tokenId == tokenIdOf(t1));
  CHECK(r1.integration.previous()->expiresAt == at(rotatedAt + kWeek));
  CHECK(r1.integration.rotationStartedAt == at(rotatedAt));
  CHECK(r1.integration.rotationPreviousExpiresAt == at(rotatedAt + kWeek));
  CHECK(h.introspect(t1).active);
  CHECK(h.introspect(t1).exp == std::optional<int64_t>((rotatedAt + kWeek) / 1000));
  CHECK(h.introspect(t2).active);
  CHECK_FALSE(h.introspect(t2).exp);

  // A second rotate-later while one is pending is a conflict and writes nothing.
  const auto seqBefore = h.engine().lastSeq();
  auto again = h.rotate(alice, id, Expire::LATER);
  CHECK(again.code == "conflict");
  CHECK_FALSE(again.hasToken);
  CHECK(h.engine().lastSeq() == seqBefore);

  // --- cancel: the new token is dead at once, the old one current again without a deadline.
  auto cancelled = h.cancelRotation(alice, id);
  REQUIRE_OK(cancelled);
  CHECK(cancelled.integration.version == 5);
  CHECK(tokenIds(cancelled.integration) == std::vector<std::string>{tokenIdOf(t1)});
  CHECK_FALSE(cancelled.integration.tokens[0].expiresAt);
  CHECK_FALSE(cancelled.integration.rotationStartedAt);
  CHECK(inactive(h, t2));
  CHECK(h.introspect(t1).active);
  CHECK_FALSE(h.introspect(t1).exp);
  CHECK(h.cancelRotation(alice, id).code == "conflict");
  CHECK(h.expireNow(alice, id).code == "conflict");

  // --- rotate later, then expire the previous token now.
  auto r2 = h.rotate(alice, id, Expire::LATER);
  REQUIRE_OK(r2);
  const Secret t3 = r2.token;
  CHECK(r2.integration.version == 6);
  auto expired = h.expireNow(alice, id);
  REQUIRE_OK(expired);
  CHECK(expired.integration.version == 7);
  CHECK(tokenIds(expired.integration) == std::vector<std::string>{tokenIdOf(t3)});
  CHECK_FALSE(expired.integration.rotationStartedAt);
  CHECK(inactive(h, t1));
  CHECK(h.introspect(t3).active);

  // --- rotate now during a pending window: every valid token expires with it.
  auto r3 = h.rotate(alice, id, Expire::LATER);
  REQUIRE_OK(r3);
  const Secret t4 = r3.token;
  CHECK(r3.integration.version == 8);
  auto now = h.rotate(alice, id, Expire::NOW);
  REQUIRE_OK(now);
  REQUIRE(now.hasToken);
  const Secret t5 = now.token;
  CHECK(now.integration.version == 11);  // RotationStarted + Expired(t4) + Expired(t3)
  CHECK(tokenIds(now.integration) == std::vector<std::string>{tokenIdOf(t5)});
  CHECK_FALSE(now.integration.rotationStartedAt);
  CHECK(inactive(h, t3));
  CHECK(inactive(h, t4));
  CHECK(h.introspect(t5).active);

  // --- a window that elapses: invalid at its deadline, then the scheduler records it.
  auto r4 = h.rotate(alice, id, Expire::LATER);
  REQUIRE_OK(r4);
  const Secret t6 = r4.token;
  CHECK(r4.integration.version == 12);
  h.advance(kWeek - 1);
  CHECK(h.introspect(t5).active);
  h.advance(1);
  CHECK(inactive(h, t5));  // deadlines are exclusive, before any event is written
  CHECK(h.engine().scheduleDueExpiries() == 1);
  h.settle();
  auto afterWindow = h.get(alice, id);
  REQUIRE_OK(afterWindow);
  CHECK(afterWindow.integration.version == 13);
  CHECK(tokenIds(afterWindow.integration) == std::vector<std::string>{tokenIdOf(t6)});
  CHECK_FALSE(afterWindow.integration.rotationStartedAt);
  CHECK(h.introspect(t6).active);

  // --- delete: every token dies, the integration is gone but for its history.
  auto deleted = h.remove(alice, id, Options{"req-delete", std::nullopt, {}, {}});
  REQUIRE_OK(deleted);
  CHECK(deleted.version == 14);
  CHECK(inactive(h, t6));
  CHECK(h.get(alice, id).code == "not_found");
  CHECK(h.edit(alice, id, "x").code == "not_found");
  CHECK(h.rotate(alice, id, Expire::NOW).code == "not_found");
  CHECK(h.remove(alice, id).code == "not_found");
  CHECK(h.list(alice).integrations.empty());
  auto withDeleted = h.list(alice, true);
  REQUIRE_OK(withDeleted);
  REQUIRE(withDeleted.integrations.size() == 1);
  CHECK(withDeleted.integrations[0].status == "deleted");
  CHECK(withDeleted.integrations[0].tokens.empty());

  // --- its whole history, oldest first; tokens named by id only.
  auto history = h.events(alice, id);
  REQUIRE_OK(history);
  std::vector<std::string> types;
  for (const auto& e : history.events) types.push_back(e.type);
  CHECK(types == std::vector<std::string>{
                     "Created", "ScopesUpdated", "ScopesUpdated", "RotationStarted",
                     "RotationCancelled", "RotationStarted", "Expired", "RotationStarted",
                     "RotationStarted", "Expired", "Expired", "RotationStarted", "Expired",
                     "Deleted"});
  for (size_t i = 0; i < history.events.size(); ++i) {
    const auto& e = history.events[i];
    CHECK(e.streamId == id);
    CHECK(e.streamVersion == i + 1);
    CHECK(e.eventId.size() == 32);
    CHECK(e.hash.size() == 64);
    CHECK(e.prevHash.size() == 64);
  }
  const auto& first = history.events.front();
  CHECK(first.requestId == "req-create");
  CHECK(first.actorAccountId == "acme");
  CHECK(first.actorUserId == "alice");
  CHECK(first.actorRole == "admin");
  CHECK(first.name == "CRM sync");
  CHECK(first.tokenIds == std::vector<std::string>{tokenIdOf(t1)});
  // As in the event's JSON form (API.md: `data` is the same over RPC): the last 4 characters.
  CHECK(first.tokenHint == commands::tokenTail(t1.reveal()));
  CHECK(first.prevHash == std::string(64, '0'));
  CHECK(history.events[6].reason == "manual");
  CHECK(history.events[9].reason == "rotated_now");
  CHECK(history.events[10].reason == "rotated_now");
  const auto& elapsed = history.events[12];
  CHECK(elapsed.reason == "window_elapsed");
  CHECK(elapsed.actorUserId == "system");
  CHECK(elapsed.actorRole == "system");
  CHECK(elapsed.tokenIds == std::vector<std::string>{tokenIdOf(t5)});
  CHECK(history.events.back().requestId == "req-delete");

  // No plaintext token anywhere on disk.
  for (const auto* t : {&t1, &t2, &t3, &t4, &t5, &t6}) {
    CHECK_FALSE(pitlog::testing::treeContains(h.dataDir(), t->reveal()));
  }
}

TEST_CASE("revoke over RPC: each valid token expires at once, whatever else the call carries, "
          "and the answer is the same for every kind of token") {
  Harness h;
  auto acme = h.create(admin(), "acme app", {"contacts.readonly"});
  auto other = h.create(admin("globex", "gina"), "globex app", {"contacts.readonly"});
  auto rotated = h.create(admin(), "rotated app", {"contacts.readonly"});
  REQUIRE_OK(acme);
  REQUIRE_OK(other);
  REQUIRE_OK(rotated);
  auto rotation = h.rotate(admin(), rotated.integration.id, Expire::NOW);
  REQUIRE_OK(rotation);
  const Secret expired = rotated.token;  // expired by the rotate
  const std::string unknown = "pit_0000000000000000000000000000000000000000000000000";
  const uint64_t eventsBefore = h.audit(admin(), 0, 1000).events.size() +
                                h.audit(admin("globex", "gina"), 0, 1000).events.size();

  // Two valid tokens of two accounts, an expired one, an unknown, a malformed one and a repeat.
  auto reply = h.revoke({acme.token.reveal(), other.token.reveal(), expired.reveal(), unknown,
                         "not a token", acme.token.reveal()},
                        "found in a public gist", "req-revoke-1");
  REQUIRE_OK(reply);
  CHECK(reply.received == 6);
  CHECK(inactive(h, acme.token));
  CHECK(inactive(h, other.token));
  CHECK_FALSE(inactive(h, rotation.token));  // not named: still valid

  // Exactly one Expired per valid token, reason revoked, by the revocation actor, with the source.
  for (const auto& [actor, id] : {std::pair{admin(), acme.integration.id},
                                  std::pair{admin("globex", "gina"), other.integration.id}}) {
    auto history = h.events(actor, id);
    REQUIRE_OK(history);
    REQUIRE(history.events.size() == 2);
    const auto& e = history.events.back();
    CHECK(e.type == "Expired");
    CHECK(e.reason == "revoked");
    CHECK(e.source == "found in a public gist");
    CHECK(e.actorUserId == "revocation");
    CHECK(e.actorRole == "system");
    CHECK(e.requestId == "req-revoke-1");
  }
  CHECK(h.audit(admin(), 0, 1000).events.size() + h.audit(admin("globex", "gina"), 0, 1000).events.size() ==
        eventsBefore + 2);

  // Nothing valid left: the same answer, nothing appended.
  auto again = h.revoke({acme.token.reveal(), unknown});
  REQUIRE_OK(again);
  CHECK(again.received == 2);
  CHECK(h.audit(admin(), 0, 1000).events.size() + h.audit(admin("globex", "gina"), 0, 1000).events.size() ==
        eventsBefore + 2);

  // A rotate afterwards issues a working token.
  auto fresh = h.rotate(admin(), acme.integration.id, Expire::LATER);
  REQUIRE_OK(fresh);
  CHECK(h.introspect(fresh.token).active);
}

TEST_CASE("revoke over RPC refuses more than 1000 tokens and a bad source, changing nothing") {
  Harness h;
  auto acme = h.create(admin(), "acme app", {"contacts.readonly"});
  REQUIRE_OK(acme);
  std::vector<std::string> tooMany(1000, "pit_x");
  tooMany.push_back(acme.token.reveal());
  auto refused = h.revoke(tooMany);
  CHECK(refused.code == "invalid_argument");
  CHECK(refused.field == "tokens");
  auto badSource = h.revoke({acme.token.reveal()}, std::string(501, 's'));
  CHECK(badSource.code == "invalid_argument");
  CHECK(badSource.field == "source");
  CHECK(h.introspect(acme.token).active);
  CHECK(h.events(admin(), acme.integration.id).events.size() == 1);

  // A full batch of token-sized strings fits the RPC parameters' limit (64 KiB).
  std::vector<std::string> thousand(999, "pit_" + std::string(commands::kTokenLength - 4, 'a'));
  thousand.push_back(acme.token.reveal());
  auto full = h.revoke(thousand);
  REQUIRE_OK(full);
  CHECK(full.received == 1000);
  CHECK(inactive(h, acme.token));
}

TEST_CASE("permissions: admins grant and withdraw - the grant decides who may manage") {
  Harness h;
  const auto alice = admin();
  const auto bob = user();
  auto created = h.create(alice, "Billing", {"invoices.readonly"});
  REQUIRE_OK(created);
  const auto id = created.integration.id;

  auto initial = h.getPermission(alice, "bob");
  REQUIRE_OK(initial);
  CHECK(initial.userId == "bob");
  CHECK(initial.source == "default");
  CHECK_FALSE(initial.allowed);
  CHECK(initial.version == 0);
  CHECK(h.list(bob).code == "permission_denied");
  CHECK(h.get(bob, id).code == "permission_denied");

  auto granted = h.setPermission(alice, "bob", true);
  REQUIRE_OK(granted);
  CHECK(granted.userId == "bob");
  CHECK(granted.allowed == std::optional<bool>(true));
  CHECK(granted.version == 1);
  auto read = h.getPermission(alice, "bob");
  CHECK(read.source == "grant");
  CHECK(read.allowed == std::optional<bool>(true));
  CHECK(read.version == 1);
  REQUIRE_OK(h.list(bob));
  CHECK(h.list(bob).integrations.size() == 1);
  auto byBob = h.edit(bob, id, "Billing v2");
  REQUIRE_OK(byBob);
  CHECK(h.events(alice, id).events.back().actorUserId == "bob");
  CHECK(h.events(alice, id).events.back().actorRole == "user");

  // Only admins read or change permissions, whatever their grant.
  CHECK(h.getPermission(bob, "bob").code == "permission_denied");
  CHECK(h.setPermission(bob, "bob", true).code == "permission_denied");

  auto withdrawn = h.setPermission(alice, "bob", false);
  REQUIRE_OK(withdrawn);
  CHECK(withdrawn.version == 2);
  CHECK(h.getPermission(alice, "bob").source == "withdrawal");
  CHECK(h.getPermission(alice, "bob").allowed == std::optional<bool>(false));
  CHECK(h.get(bob, id).code == "permission_denied");

  // A withdrawal binds an admin too.
  REQUIRE_OK(h.setPermission(alice, "carol", false));
  CHECK(h.list(admin("acme", "carol")).code == "permission_denied");
  CHECK(h.create(admin("acme", "carol"), "x", {"invoices.readonly"}).code == "permission_denied");

  // PermissionChanged events belong to the account's audit.
  auto audit = h.audit(alice);
  REQUIRE_OK(audit);
  int changes = 0;
  for (const auto& e : audit.events) {
    if (e.type == "PermissionChanged") {
      ++changes;
      CHECK(e.actorUserId == "alice");
    }
  }
  CHECK(changes == 3);
}

TEST_CASE("get with asOf answers the view as it was then") {
  Harness h;
  const auto alice = admin();
  const auto before = h.now() - 1;
  auto created = h.create(alice, "First name", {"contacts.readonly"});
  REQUIRE_OK(created);
  const auto id = created.integration.id;
  const auto afterCreate = h.now();
  h.advance(60'000);
  REQUIRE_OK(h.edit(alice, id, "Second name"));
  h.advance(60'000);
  auto rotated = h.rotate(alice, id, Expire::NOW);
  REQUIRE_OK(rotated);
  const auto afterRotate = h.now();
  h.advance(60'000);
  REQUIRE_OK(h.remove(alice, id));

  auto then = h.get(alice, id, at(afterCreate));
  REQUIRE_OK(then);
  CHECK(then.integration.name == "First name");
  CHECK(then.integration.version == 1);
  CHECK(tokenIds(then.integration) == std::vector<std::string>{tokenIdOf(created.token)});
  auto later = h.get(alice, id, at(afterRotate));
  REQUIRE_OK(later);
  CHECK(later.integration.name == "Second name");
  CHECK(tokenIds(later.integration) == std::vector<std::string>{tokenIdOf(rotated.token)});
  // Other zones name the same instant.
  auto zoned = h.get(alice, id, "2026-11-28T18:00:00.000+01:00");
  REQUIRE_OK(zoned);
  CHECK(zoned.integration.version == 1);

  CHECK(h.get(alice, id, at(before)).code == "not_found");
  CHECK(h.get(alice, id, at(h.now())).code == "not_found");  // deleted by then
  CHECK(h.get(alice, id).code == "not_found");
  auto bad = h.get(alice, id, "yesterday");
  CHECK(bad.code == "invalid_argument");
  CHECK(bad.field == "asOf");
}

TEST_CASE("list: oldest first, staleAfterDays by the current token's age") {
  Harness h;
  const auto alice = admin();
  auto a = h.create(alice, "A", {"contacts.readonly"});
  h.advance(10 * kDay);
  auto b = h.create(alice, "B", {"contacts.readonly"});
  h.advance(5 * kDay);
  REQUIRE_OK(a);
  REQUIRE_OK(b);

  auto all = h.list(alice);
  REQUIRE_OK(all);
  REQUIRE(all.integrations.size() == 2);
  CHECK(all.integrations[0].name == "A");
  CHECK(all.integrations[1].name == "B");

  auto stale = h.list(alice, false, 7);  // A's token is 15 days old, B's 5
  REQUIRE_OK(stale);
  REQUIRE(stale.integrations.size() == 1);
  CHECK(stale.integrations[0].name == "A");
  CHECK(h.list(alice, false, 15).integrations.empty());  // "more than" N days
  CHECK(h.list(alice, false, 0).integrations.size() == 2);

  // A rotation makes the current token new again.
  REQUIRE_OK(h.rotate(alice, a.integration.id, Expire::NOW));
  CHECK(h.list(alice, false, 7).integrations.empty());
}

TEST_CASE("audit pages through the account's events with next, and bounds them by time") {
  Harness h;
  const auto alice = admin();
  auto created = h.create(alice, "A", {"contacts.readonly"});
  REQUIRE_OK(created);
  const auto id = created.integration.id;
  for (int i = 0; i < 4; ++i) {
    h.advance(1000);
    REQUIRE_OK(h.edit(alice, id, "A" + std::to_string(i)));
  }
  const auto middle = h.now() - 500;  // between the third and fourth edits
  REQUIRE_OK(h.create(admin("globex"), "other tenant", {"contacts.readonly"}));

  std::vector<uint64_t> seqs;
  uint64_t after = 0;
  int pages = 0;
  for (;;) {
    auto page = h.audit(alice, after, 2);
    REQUIRE_OK(page);
    ++pages;
    for (const auto& e : page.events) seqs.push_back(e.seq);
    for (size_t i = 1; i < page.events.size(); ++i) {
      if (page.events[i].seq == page.events[i - 1].seq + 1) {
        CHECK(page.events[i].prevHash == page.events[i - 1].hash);
      }
    }
    if (!page.next) break;
    CHECK(*page.next == page.events.back().seq);
    after = *page.next;
    REQUIRE(pages < 10);
  }
  CHECK(seqs == std::vector<uint64_t>{1, 2, 3, 4, 5});
  CHECK(pages == 3);

  // The largest sequence a log can hold is 2^63 - 1: nothing follows it; beyond it is refused,
  // as over HTTP.
  auto beyond = h.audit(alice, std::numeric_limits<int64_t>::max());
  REQUIRE_OK(beyond);
  CHECK(beyond.events.empty());
  CHECK_FALSE(beyond.next);
  CHECK(h.audit(alice, std::numeric_limits<uint64_t>::max()).field == "after");

  auto since = h.audit(alice, 0, 100, at(middle));
  REQUIRE_OK(since);
  CHECK(since.events.size() == 1);
  auto until = h.audit(alice, 0, 100, "", at(middle));
  REQUIRE_OK(until);
  CHECK(until.events.size() == 4);
  CHECK_FALSE(until.next);
}

TEST_CASE("introspection of tokens that are not valid answers exactly active=false") {
  Harness h;
  CHECK(inactive(h, Secret("")));
  CHECK(inactive(h, Secret("pit_abc")));
  auto unknown = commands::generateToken();  // well formed, never issued
  CHECK(inactive(h, Secret(unknown.plaintext)));
  auto created = h.create(admin(), "A", {"contacts.readonly"});
  REQUIRE_OK(created);
  std::string typo = created.token.reveal();
  typo[10] = typo[10] == 'a' ? 'b' : 'a';  // the checksum catches it
  CHECK(inactive(h, Secret(typo)));
  CHECK(h.introspect(created.token, "").allowed == std::optional<bool>(false));
}

}  // namespace
}  // namespace pitlog::rpc::testing
