// The Engine end to end on a real RocksDB with a fake clock and a short rotation window: every
// lifecycle path with verify() of every token at every step, stream versions, If-Match,
// idempotency across a restart, permissions, and no plaintext token anywhere on disk.
#include <catch2/catch.hpp>

#include "commands/validate.h"
#include "core_support.h"
#include "support/temp_dir.h"

using namespace pitlog;
using namespace pitlog::coretest;
using commands::Code;
using commands::ExpireMode;
using pitlog::testing::TempDir;
using pitlog::testing::treeContains;

namespace {

constexpr int64_t kWindow = 10'000;
const std::string kAcct = "acct-1";

struct Fixture {
  TempDir dir{"pitlog-core-engine"};
  FakeClock clock;
  std::unique_ptr<commands::Engine> engine;
  std::vector<std::string> issued;  // every plaintext token, to scan the files for at the end

  Fixture() { open(); }
  ~Fixture() { closeAndScan(); }

  void open() { engine = commands::Engine::open(engineOptions(dir.sub("data"), clock, kWindow)); }
  void reopen() {
    engine.reset();
    open();
  }

  commands::CommandResult run(commands::Command c) {
    auto r = engine->execute(std::move(c));
    if (r.token) issued.push_back(*r.token);
    return r;
  }
  commands::CommandResult admin(commands::Action a, const std::string& account = kAcct) {
    return run(command(account, adminActor(account), std::move(a)));
  }
  // Waits until everything queued before it (the scheduler's commands) is done: the writer is
  // one FIFO, and this command goes through it (an unknown integration: 404, nothing written).
  void barrier() {
    auto r = engine->execute(command(kAcct, adminActor(kAcct), commands::DeleteIntegration{"int_barrier"}));
    REQUIRE(r.code == Code::notFound);
  }

  bool active(const std::string& token) const { return engine->verify(token).active; }

  std::string create(std::vector<std::string> scopes = {"contacts.readonly"}) {
    auto r = admin(createAction("Zapier", std::move(scopes)));
    REQUIRE(r.ok());
    REQUIRE(r.token);
    REQUIRE(r.integration);
    return r.integration->id;
  }

  uint32_t version(const std::string& id) {
    auto v = engine->integration(kAcct, id);
    REQUIRE(v);
    return v->version;
  }

  std::vector<ev::DecodedEvent> history(const std::string& id) {
    return engine->integrationEvents(kAcct, id);
  }

  void closeAndScan() {
    if (!engine) return;
    auto problem = storeProblem(engine->store());
    engine.reset();
    CHECK_FALSE(problem);
    TreeSnapshot files(dir.path());
    CHECK(files.files() > 0);
    for (const auto& t : issued) {
      INFO("token " << hintOf(t));
      CHECK_FALSE(files.contains(t));
    }
    // The scan sees what is stored: every issued token's digest is (in the views).
    if (!issued.empty()) {
      CHECK(treeContains(dir.path(),
                         std::string(ev::Sha256::asView(ev::sha256(issued.back())).substr(16))));
    }
  }
};

// Which of the tokens verify() accepts right now, as a string of 0/1 (tokens stay out of output).
std::string activity(const Fixture& f, const std::vector<std::string>& tokens) {
  std::string out;
  for (const auto& t : tokens) out.push_back(f.active(t) ? '1' : '0');
  return out;
}

}  // namespace

TEST_CASE("engine create: token shown once, verify answers with the grant", "[engine]") {
  Fixture f;
  auto r = f.admin(createAction("Zapier", {"contacts.write", "contacts.readonly"}, "CRM sync"));
  REQUIRE(r.ok());
  REQUIRE(r.token);
  const std::string t1 = *r.token;
  CHECK(commands::isWellFormedToken(t1));
  REQUIRE(r.integration);
  const auto& v = *r.integration;
  CHECK(v.id.rfind("int_", 0) == 0);
  CHECK(commands::isValidId(v.id));
  CHECK(v.accountId == kAcct);
  CHECK(v.name == "Zapier");
  CHECK(v.description == "CRM sync");
  CHECK(v.scopes == std::vector<std::string>{"contacts.readonly", "contacts.write"});
  CHECK(v.version == 1);
  CHECK(r.version == 1);
  CHECK(v.createdAt == kT0);
  CHECK(v.createdBy == "alice");
  REQUIRE(v.tokens.size() == 1);
  CHECK((v.tokens[0].digest == ev::sha256(t1)));
  CHECK(v.tokens[0].hint == std::string(commands::tokenTail(t1)));
  CHECK(r.firstSeq == 1);
  CHECK(r.lastSeq == 1);
  CHECK(f.engine->lastSeq() == 1);

  auto ok = f.engine->verify(t1);
  CHECK(ok.active);
  REQUIRE(ok.grant);
  CHECK(ok.grant->accountId() == kAcct);
  CHECK(ok.grant->integrationId() == v.id);
  CHECK(ok.grant->scopeText() == "contacts.readonly contacts.write");
  CHECK(ok.issuedAt == kT0);
  CHECK_FALSE(ok.expiresAt);
  CHECK(f.engine->verify(t1, std::string_view("contacts.write")).allowed == true);
  CHECK(f.engine->verify(t1, std::string_view("calendars.write")).allowed == false);

  // Mistyped, made-up, and well-formed-but-unknown tokens.
  std::string typo = t1;
  typo[10] = typo[10] == 'a' ? 'b' : 'a';
  CHECK_FALSE(f.active(typo));
  CHECK_FALSE(f.active(""));
  CHECK_FALSE(f.active("pit_"));
  auto unknown = commands::generateToken();
  CHECK_FALSE(f.active(unknown.plaintext));

  // Queries: the view, the account listing, and another account sees nothing.
  CHECK(f.engine->integration(kAcct, v.id));
  CHECK_FALSE(f.engine->integration("acct-2", v.id));
  CHECK(f.engine->integrations(kAcct, false).size() == 1);
  CHECK(f.engine->integrations("acct-2", false).empty());
  CHECK(f.engine->integrationEvents("acct-2", v.id).empty());
}

TEST_CASE("engine edit changes scopes for verification and never issues a token", "[engine]") {
  Fixture f;
  auto id = f.create({"contacts.readonly"});
  const std::string t1 = f.issued.at(0);
  commands::EditIntegration edit;
  edit.integrationId = id;
  edit.scopes = std::vector<std::string>{"calendars.write", "contacts.write"};
  edit.description = "new";
  auto r = f.admin(edit);
  REQUIRE(r.ok());
  CHECK_FALSE(r.token);
  CHECK(r.version == 2);
  CHECK(r.integration->name == "Zapier");
  CHECK(r.integration->description == "new");
  CHECK(f.active(t1));
  CHECK(f.engine->verify(t1, std::string_view("contacts.write")).allowed == true);
  CHECK(f.engine->verify(t1, std::string_view("contacts.readonly")).allowed == false);
  CHECK(f.engine->verify(t1).grant->scopeText() == "calendars.write contacts.write");
  CHECK(f.issued.size() == 1);
}

TEST_CASE("engine rotate later, then the window elapses", "[engine]") {
  Fixture f;
  auto id = f.create();
  const std::string t1 = f.issued.at(0);
  f.clock.advance(1000);
  const auto rotatedAt = f.clock.now();
  auto r = f.admin(commands::RotateToken{id, ExpireMode::later});
  REQUIRE(r.ok());
  REQUIRE(r.token);
  const std::string t2 = *r.token;
  CHECK(r.version == 2);
  const auto deadline = rotatedAt + kWindow;
  REQUIRE(r.integration->rotation);
  CHECK(r.integration->rotation->startedAt == rotatedAt);
  CHECK(r.integration->rotation->previousExpiresAt == deadline);
  CHECK(activity(f, {t1, t2}) == "11");
  CHECK(f.engine->verify(t1).expiresAt == deadline);
  CHECK_FALSE(f.engine->verify(t2).expiresAt);
  CHECK(f.engine->nextDeadline() == deadline);

  // Nothing is due before the deadline.
  f.clock.set(deadline - 1);
  CHECK(f.engine->scheduleDueExpiries() == 0);
  CHECK(activity(f, {t1, t2}) == "11");

  // At the deadline T1 is rejected at once, before any Expired event exists.
  f.clock.set(deadline);
  const auto seqBefore = f.engine->lastSeq();
  CHECK(activity(f, {t1, t2}) == "01");
  CHECK(f.version(id) == 2);
  CHECK(f.engine->lastSeq() == seqBefore);

  // The scheduler writes Expired(window_elapsed) as the system actor; the version goes up by one.
  CHECK(f.engine->scheduleDueExpiries() == 1);
  f.barrier();
  CHECK(f.version(id) == 3);
  CHECK(f.engine->lastSeq() == seqBefore + 1);
  auto events = f.history(id);
  REQUIRE(events.size() == 3);
  auto last = events.back().reader();
  REQUIRE(last.getBody().isExpired());
  CHECK(last.getBody().getExpired().getReason() == ev::schema::Expired::Reason::WINDOW_ELAPSED);
  CHECK((ev::digestField(last.getBody().getExpired().getToken()) == ev::sha256(t1)));
  CHECK(last.getActor().getRole() == ev::schema::Actor::Role::SYSTEM);
  CHECK(ev::textView(last.getActor().getUserId()) == "system");
  CHECK(ev::textView(last.getAccountId()) == kAcct);
  CHECK(last.getStreamVersion() == 3);
  CHECK(last.getAt() == deadline);
  CHECK(activity(f, {t1, t2}) == "01");
  auto view = f.engine->integration(kAcct, id);
  CHECK_FALSE(view->rotation);
  CHECK(view->tokens.size() == 1);
  CHECK_FALSE(f.engine->nextDeadline());

  // Run again: nothing is due, nothing is written.
  CHECK(f.engine->scheduleDueExpiries() == 0);
  f.barrier();
  CHECK(f.version(id) == 3);
  f.clock.advance(100 * kWindow);
  CHECK(activity(f, {t1, t2}) == "01");
}

TEST_CASE("engine cancel rotation: T1 current again with no deadline, T2 invalid at once",
          "[engine]") {
  Fixture f;
  auto id = f.create();
  const std::string t1 = f.issued.at(0);
  auto r = f.admin(commands::RotateToken{id, ExpireMode::later});
  REQUIRE(r.ok());
  const std::string t2 = *r.token;
  f.clock.advance(kWindow / 2);
  CHECK(activity(f, {t1, t2}) == "11");
  auto c = f.admin(commands::CancelRotation{id});
  REQUIRE(c.ok());
  CHECK_FALSE(c.token);
  CHECK(c.version == 3);
  CHECK(activity(f, {t1, t2}) == "10");
  CHECK_FALSE(f.engine->verify(t1).expiresAt);
  CHECK_FALSE(c.integration->rotation);
  CHECK(f.admin(commands::CancelRotation{id}).code == Code::conflict);
  // The cancelled window leaves nothing for the scheduler.
  f.clock.advance(2 * kWindow);
  CHECK(f.engine->scheduleDueExpiries() == 0);
  f.barrier();
  CHECK(f.version(id) == 3);
  CHECK(activity(f, {t1, t2}) == "10");
}

TEST_CASE("engine cancel at the deadline, before the scheduler, is 409 and keeps T1 expired",
          "[engine]") {
  Fixture f;
  auto id = f.create();
  const std::string t1 = f.issued.at(0);
  const std::string t2 = *f.admin(commands::RotateToken{id, ExpireMode::later}).token;
  f.clock.advance(kWindow);
  CHECK(activity(f, {t1, t2}) == "01");
  CHECK(f.admin(commands::CancelRotation{id}).code == Code::conflict);
  CHECK(f.admin(commands::ExpireRotationNow{id}).code == Code::conflict);
  CHECK(activity(f, {t1, t2}) == "01");
  CHECK(f.version(id) == 2);
  // A new rotation may start; the scheduler still closes the old window.
  const std::string t3 = *f.admin(commands::RotateToken{id, ExpireMode::later}).token;
  CHECK(activity(f, {t1, t2, t3}) == "011");
  CHECK(f.engine->scheduleDueExpiries() == 1);
  f.barrier();
  CHECK(f.version(id) == 4);
  CHECK(activity(f, {t1, t2, t3}) == "011");
  REQUIRE(f.engine->integration(kAcct, id)->rotation);
}

TEST_CASE("engine expire now: T1 invalid at once, T2 only, cancel afterwards is 409", "[engine]") {
  Fixture f;
  auto id = f.create();
  const std::string t1 = f.issued.at(0);
  const std::string t2 = *f.admin(commands::RotateToken{id, ExpireMode::later}).token;
  f.clock.advance(1);
  auto x = f.admin(commands::ExpireRotationNow{id});
  REQUIRE(x.ok());
  CHECK(x.version == 3);
  CHECK(activity(f, {t1, t2}) == "01");
  auto lastEvents = f.history(id);
  auto last = lastEvents.back().reader();
  REQUIRE(last.getBody().isExpired());
  CHECK(last.getBody().getExpired().getReason() == ev::schema::Expired::Reason::MANUAL);
  CHECK(last.getActor().getRole() == ev::schema::Actor::Role::ADMIN);
  CHECK(ev::textView(last.getActor().getUserId()) == "alice");

  auto c = f.admin(commands::CancelRotation{id});
  CHECK(c.code == Code::conflict);
  CHECK(f.admin(commands::ExpireRotationNow{id}).code == Code::conflict);
  CHECK(f.version(id) == 3);
  CHECK(activity(f, {t1, t2}) == "01");
  f.clock.advance(2 * kWindow);
  CHECK(f.engine->scheduleDueExpiries() == 0);
  f.barrier();
  CHECK(f.version(id) == 3);
}

TEST_CASE("engine rotate now: every valid token expires, during a window both of them",
          "[engine]") {
  Fixture f;
  auto id = f.create();
  const std::string t1 = f.issued.at(0);

  SECTION("no window pending") {
    auto r = f.admin(commands::RotateToken{id, ExpireMode::now});
    REQUIRE(r.ok());
    const std::string t2 = *r.token;
    CHECK(r.version == 3);  // RotationStarted + Expired
    CHECK(r.lastSeq - r.firstSeq == 1);
    CHECK(activity(f, {t1, t2}) == "01");
    CHECK_FALSE(r.integration->rotation);
    auto events = f.history(id);
    REQUIRE(events.size() == 3);
    CHECK(typeOf(events[1]) == "RotationStarted");
    CHECK(events[1].reader().getBody().getRotationStarted().getExpireNow());
    CHECK(typeOf(events[2]) == "Expired");
    CHECK(events[2].reader().getBody().getExpired().getReason() ==
          ev::schema::Expired::Reason::ROTATED_NOW);
  }
  SECTION("during a pending window") {
    const std::string t2 = *f.admin(commands::RotateToken{id, ExpireMode::later}).token;
    f.clock.advance(1);
    auto r = f.admin(commands::RotateToken{id, ExpireMode::now});
    REQUIRE(r.ok());
    const std::string t3 = *r.token;
    CHECK(r.version == 5);  // RotationStarted + Expired(T2) + Expired(T1)
    CHECK(r.lastSeq - r.firstSeq == 2);
    CHECK(activity(f, {t1, t2, t3}) == "001");
    CHECK_FALSE(r.integration->rotation);
    auto events = f.history(id);
    REQUIRE(events.size() == 5);
    std::vector<ev::Digest> expired;
    for (size_t i = 3; i < 5; ++i) {
      REQUIRE(events[i].reader().getBody().isExpired());
      CHECK(events[i].reader().getBody().getExpired().getReason() ==
            ev::schema::Expired::Reason::ROTATED_NOW);
      expired.push_back(ev::digestField(events[i].reader().getBody().getExpired().getToken()));
    }
    CHECK(std::count(expired.begin(), expired.end(), ev::sha256(t1)) == 1);
    CHECK(std::count(expired.begin(), expired.end(), ev::sha256(t2)) == 1);
    // The window was cut short: the scheduler writes nothing for it.
    f.clock.advance(2 * kWindow);
    CHECK(f.engine->scheduleDueExpiries() == 0);
    f.barrier();
    CHECK(f.version(id) == 5);
    CHECK(activity(f, {t1, t2, t3}) == "001");
  }
}

TEST_CASE("engine delete: every token invalid, 404 afterwards, history kept", "[engine]") {
  Fixture f;
  auto id = f.create();
  const std::string t1 = f.issued.at(0);
  const std::string t2 = *f.admin(commands::RotateToken{id, ExpireMode::later}).token;
  f.clock.advance(1);
  auto d = f.admin(commands::DeleteIntegration{id});
  REQUIRE(d.ok());
  CHECK_FALSE(d.token);
  CHECK(d.version == 3);
  CHECK(activity(f, {t1, t2}) == "00");
  CHECK_FALSE(f.engine->integration(kAcct, id));
  CHECK(f.engine->integrations(kAcct, false).empty());
  REQUIRE(f.engine->integrations(kAcct, true).size() == 1);
  CHECK(f.engine->integrations(kAcct, true)[0].deleted);
  CHECK(f.history(id).size() == 3);
  CHECK(f.engine->tokenCount() == 0);

  commands::EditIntegration edit;
  edit.integrationId = id;
  edit.name = "x";
  CHECK(f.admin(edit).code == Code::notFound);
  CHECK(f.admin(commands::RotateToken{id, ExpireMode::later}).code == Code::notFound);
  CHECK(f.admin(commands::RotateToken{id, ExpireMode::now}).code == Code::notFound);
  CHECK(f.admin(commands::CancelRotation{id}).code == Code::notFound);
  CHECK(f.admin(commands::ExpireRotationNow{id}).code == Code::notFound);
  CHECK(f.admin(commands::DeleteIntegration{id}).code == Code::notFound);
  // The deleted window leaves nothing for the scheduler.
  f.clock.advance(2 * kWindow);
  CHECK(f.engine->scheduleDueExpiries() == 0);
  f.barrier();
  CHECK(f.history(id).size() == 3);
  CHECK(activity(f, {t1, t2}) == "00");
  // asOf before the deletion still shows it; after, it is gone.
  CHECK(f.engine->integrationAsOf(kAcct, id, kT0));
  CHECK(f.engine->integrationAsOf(kAcct, id, kT0)->version == 2);
  CHECK_FALSE(f.engine->integrationAsOf(kAcct, id, f.clock.now()));
}

TEST_CASE("engine commands on another account's integration are 404 and change nothing",
          "[engine]") {
  Fixture f;
  auto id = f.create();
  const std::string t1 = f.issued.at(0);
  const std::string other = "acct-2";
  const auto seq = f.engine->lastSeq();
  commands::EditIntegration edit;
  edit.integrationId = id;
  edit.name = "stolen";
  CHECK(f.admin(edit, other).code == Code::notFound);
  CHECK(f.admin(commands::RotateToken{id, ExpireMode::now}, other).code == Code::notFound);
  CHECK(f.admin(commands::DeleteIntegration{id}, other).code == Code::notFound);
  CHECK(f.engine->lastSeq() == seq);
  CHECK(f.active(t1));
  CHECK(f.engine->integration(kAcct, id)->name == "Zapier");
}

TEST_CASE("engine stream versions go up by one per event, the global log is gap-free",
          "[engine]") {
  Fixture f;
  auto a = f.create();
  auto b = f.create();
  commands::EditIntegration edit;
  edit.integrationId = a;
  edit.name = "renamed";
  REQUIRE(f.admin(edit).ok());
  REQUIRE(f.admin(commands::RotateToken{a, ExpireMode::later}).ok());
  REQUIRE(f.admin(commands::RotateToken{b, ExpireMode::now}).ok());
  REQUIRE(f.admin(commands::RotateToken{a, ExpireMode::now}).ok());
  REQUIRE(f.admin(commands::SetPermission{"bob", true}).ok());
  REQUIRE(f.admin(commands::DeleteIntegration{b}).ok());

  for (const auto& id : {a, b}) {
    auto events = f.history(id);
    uint64_t prevSeq = 0;
    for (size_t i = 0; i < events.size(); ++i) {
      auto e = events[i].reader();
      CHECK(e.getStreamVersion() == i + 1);
      CHECK(e.getSeq() > prevSeq);
      CHECK(ev::textView(e.getStreamId()) == id);
      prevSeq = e.getSeq();
    }
    auto view = f.engine->integrations(kAcct, true);
    for (const auto& v : view) {
      if (v.id == id) CHECK(v.version == events.size());
    }
  }
  auto all = allEvents(f.engine->store());
  REQUIRE(all.size() == f.engine->lastSeq());
  for (size_t i = 0; i < all.size(); ++i) CHECK(all[i].reader().getSeq() == i + 1);
  // a: Created, ScopesUpdated, RotationStarted, RotationStarted + Expired x2 = 6
  CHECK(f.history(a).size() == 6);
  // b: Created, RotationStarted + Expired, Deleted = 4
  CHECK(f.history(b).size() == 4);
  CHECK(f.engine->permission(kAcct, "bob").version == 1);
}

TEST_CASE("engine If-Match: a mismatch is 412 and appends nothing", "[engine]") {
  Fixture f;
  auto id = f.create();
  const auto seq = f.engine->lastSeq();
  auto c = command(kAcct, adminActor(kAcct), commands::RotateToken{id, ExpireMode::later});
  c.ifMatch = commands::IfMatch{false, {2}};
  auto r = f.run(c);
  CHECK(r.code == Code::versionMismatch);
  CHECK_FALSE(r.token);
  CHECK(f.engine->lastSeq() == seq);
  CHECK(f.version(id) == 1);
  CHECK(f.engine->tokenCount() == 1);
  c.ifMatch = commands::IfMatch{false, {1}};
  auto ok = f.run(c);
  REQUIRE(ok.ok());
  CHECK(ok.version == 2);
  // The old ETag no longer matches.
  commands::EditIntegration edit;
  edit.integrationId = id;
  edit.name = "x";
  auto e = command(kAcct, adminActor(kAcct), edit);
  e.ifMatch = commands::IfMatch{false, {1}};
  CHECK(f.run(e).code == Code::versionMismatch);
  e.ifMatch = commands::IfMatch{true, {}};
  CHECK(f.run(e).ok());
  CHECK(f.engine->lastSeq() == seq + 2);
}

TEST_CASE("engine idempotency: a retry appends nothing and answers as the first did, "
          "without the token, also after a restart",
          "[engine]") {
  Fixture f;
  auto c = command(kAcct, adminActor(kAcct), createAction("Zapier"));
  c.idempotency = idemKey("create-1", "POST /v1/accounts/acct-1/integrations {zapier}");
  auto first = f.run(c);
  REQUIRE(first.ok());
  REQUIRE(first.token);
  CHECK_FALSE(first.replayed);
  const std::string t1 = *first.token;
  const auto id = first.integration->id;
  const auto seq = f.engine->lastSeq();

  auto check = [&](const commands::CommandResult& again) {
    REQUIRE(again.ok());
    CHECK(again.replayed);
    CHECK_FALSE(again.token);
    REQUIRE(again.integration);
    CHECK(again.integration->id == id);
    CHECK(again.integration->version == 1);
    CHECK(again.version == first.version);
    CHECK(again.firstSeq == first.firstSeq);
    CHECK(again.lastSeq == first.lastSeq);
    CHECK(f.engine->lastSeq() == seq);
    CHECK(f.engine->integrations(kAcct, false).size() == 1);
  };
  check(f.run(c));
  f.clock.advance(1000);
  check(f.run(c));
  f.reopen();
  check(f.run(c));
  CHECK(f.active(t1));

  SECTION("the same key with another request is 409 and appends nothing") {
    auto other = command(kAcct, adminActor(kAcct), createAction("Other"));
    other.idempotency = idemKey("create-1", "POST /v1/accounts/acct-1/integrations {other}");
    auto r = f.run(other);
    CHECK(r.code == Code::conflict);
    CHECK(r.field == "Idempotency-Key");
    CHECK_FALSE(r.token);
    CHECK(f.engine->lastSeq() == seq);
    f.reopen();
    CHECK(f.run(other).code == Code::conflict);
  }
  SECTION("after later changes a replay still answers with the view as the first left it") {
    commands::EditIntegration edit;
    edit.integrationId = id;
    edit.name = "renamed";
    REQUIRE(f.admin(edit).ok());
    auto again = f.run(c);
    REQUIRE(again.replayed);
    CHECK(again.integration->name == "Zapier");
    CHECK(again.integration->version == 1);
  }
  SECTION("keys belong to one account") {
    auto elsewhere = command("acct-2", adminActor("acct-2"), createAction("Zapier"));
    elsewhere.idempotency = c.idempotency;
    auto r = f.run(elsewhere);
    REQUIRE(r.ok());
    CHECK_FALSE(r.replayed);
    CHECK(r.token);
    CHECK(r.integration->accountId == "acct-2");
  }
  SECTION("a rotate retried answers without its token; the token it issued stays valid") {
    auto rot = command(kAcct, adminActor(kAcct), commands::RotateToken{id, ExpireMode::later});
    rot.idempotency = idemKey("rotate-1", "POST /v1/accounts/acct-1/integrations/x/rotate later");
    auto r1 = f.run(rot);
    REQUIRE(r1.ok());
    REQUIRE(r1.token);
    const std::string t2 = *r1.token;
    const auto seq2 = f.engine->lastSeq();
    auto r2 = f.run(rot);
    REQUIRE(r2.ok());
    CHECK(r2.replayed);
    CHECK_FALSE(r2.token);
    CHECK(r2.version == 2);
    CHECK(f.engine->lastSeq() == seq2);
    CHECK(activity(f, {t1, t2}) == "11");
    f.reopen();
    auto r3 = f.run(rot);
    CHECK(r3.replayed);
    CHECK(f.engine->lastSeq() == seq2);
  }
  SECTION("after 24 hours the key is forgotten") {
    f.clock.advance(commands::kIdempotencyTtlMs);
    auto r = f.run(c);
    REQUIRE(r.ok());
    CHECK_FALSE(r.replayed);
    CHECK(r.token);
    CHECK(f.engine->lastSeq() == seq + 1);
  }
}

TEST_CASE("engine idempotency records older than 24 hours are pruned from storage", "[engine]") {
  Fixture f;
  auto keyed = command(kAcct, adminActor(kAcct), createAction("keyed"));
  keyed.idempotency = idemKey("old-key", "POST keyed");
  REQUIRE(f.run(keyed).ok());
  auto records = [&] {
    size_t n = 0;
    f.engine->store().scanPrefix(ev::keys::Family::idempotency, {},
                                 [&](std::string_view, std::string_view) { return ++n, true; });
    return n;
  };
  CHECK(records() == 1);
  // Within the TTL the record stays, whatever the writer does.
  f.clock.advance(commands::kIdempotencyTtlMs - 1);
  REQUIRE(f.run(command(kAcct, adminActor(kAcct), createAction("other"))).ok());
  CHECK(records() == 1);
  // Past it, the writer drops the record after its next batch.
  f.clock.advance(commands::kIdempotencyPruneIntervalMs);
  REQUIRE(f.run(command(kAcct, adminActor(kAcct), createAction("third"))).ok());
  CHECK(records() == 0);
}

TEST_CASE("engine a failed command does not consume its idempotency key", "[engine]") {
  Fixture f;
  auto c = command(kAcct, adminActor(kAcct), commands::CancelRotation{"int_missing"});
  c.idempotency = idemKey("k", "cancel");
  CHECK(f.run(c).code == Code::notFound);
  CHECK(f.run(c).code == Code::notFound);
  CHECK(f.engine->lastSeq() == 0);
}

TEST_CASE("engine permissions: admins by default, grants and withdrawals, admins only set them",
          "[engine]") {
  Fixture f;
  const auto bob = userActor(kAcct, "bob");
  const auto carol = adminActor(kAcct, "carol");

  auto denied = f.run(command(kAcct, bob, createAction()));
  CHECK(denied.code == Code::permissionDenied);
  CHECK_FALSE(denied.token);
  CHECK(f.engine->lastSeq() == 0);
  CHECK_FALSE(f.engine->mayManage(bob, kAcct));
  CHECK(f.engine->mayManage(carol, kAcct));
  CHECK_FALSE(f.engine->permission(kAcct, "bob").recorded);

  // A plain user cannot grant themselves.
  CHECK(f.run(command(kAcct, bob, commands::SetPermission{"bob", true})).code ==
        Code::permissionDenied);

  auto grant = f.admin(commands::SetPermission{"bob", true});
  REQUIRE(grant.ok());
  CHECK(grant.userId == "bob");
  CHECK(grant.allowed == true);
  CHECK(f.engine->permission(kAcct, "bob").recorded == true);
  CHECK(f.engine->mayManage(bob, kAcct));
  auto made = f.run(command(kAcct, bob, createAction()));
  REQUIRE(made.ok());
  const auto id = made.integration->id;
  CHECK(made.integration->createdBy == "bob");

  auto withdraw = f.admin(commands::SetPermission{"carol", false});
  REQUIRE(withdraw.ok());
  CHECK(f.engine->permission(kAcct, "carol").recorded == false);
  CHECK_FALSE(f.engine->mayManage(carol, kAcct));
  CHECK(f.run(command(kAcct, carol, commands::DeleteIntegration{id})).code ==
        Code::permissionDenied);
  // Still an admin: she may set permissions, even her own back.
  REQUIRE(f.run(command(kAcct, carol, commands::SetPermission{"carol", true})).ok());
  CHECK(f.run(command(kAcct, carol, commands::DeleteIntegration{id})).ok());
  CHECK(f.engine->permission(kAcct, "carol").version == 2);

  // Permissions are per account.
  CHECK(f.run(command("acct-2", userActor("acct-2", "bob"), createAction())).code ==
        Code::permissionDenied);

  // PermissionChanged belongs to the account's audit.
  auto page = f.engine->audit(kAcct, 0, 100, std::nullopt, std::nullopt);
  size_t permissionEvents = 0;
  for (const auto& e : page.events) permissionEvents += e.reader().getBody().isPermissionChanged();
  CHECK(permissionEvents == 3);
  CHECK_FALSE(page.next);
}

TEST_CASE("engine reopen: the token view and the stored views survive a restart", "[engine]") {
  Fixture f;
  auto a = f.create();
  const std::string t1 = f.issued.at(0);
  const std::string t2 = *f.admin(commands::RotateToken{a, ExpireMode::later}).token;
  auto b = f.create({"calendars.readonly"});
  const std::string t3 = f.issued.back();
  REQUIRE(f.admin(commands::DeleteIntegration{b}).ok());
  f.reopen();
  CHECK(activity(f, {t1, t2, t3}) == "110");
  CHECK(f.engine->verify(t1).expiresAt == kT0 + kWindow);
  CHECK(f.engine->nextDeadline() == kT0 + kWindow);
  CHECK(f.engine->tokenCount() == 2);
  f.clock.set(kT0 + kWindow);
  CHECK(activity(f, {t1, t2, t3}) == "010");
  CHECK(f.engine->scheduleDueExpiries() == 1);
  f.barrier();
  f.reopen();
  CHECK(activity(f, {t1, t2, t3}) == "010");
  CHECK(f.version(a) == 3);
  CHECK_FALSE(storeProblem(f.engine->store()));
  // New commands continue the same log.
  f.create();
  CHECK(f.engine->lastSeq() == 6);
}

TEST_CASE("engine a stopped engine answers unavailable", "[engine]") {
  Fixture f;
  f.create();
  f.engine->stop();
  auto r = f.engine->execute(command(kAcct, adminActor(kAcct), createAction()));
  CHECK(r.code == Code::unavailable);
  CHECK_FALSE(r.token);
  CHECK(f.engine->lastSeq() == 1);
}

TEST_CASE("engine audit: one account's events in order, paged, bounded by time", "[engine]") {
  Fixture f;
  // acct-1: 1 create, 2 set permission, 3 rotate; acct-2: a create in between.
  auto a = f.create();
  f.clock.advance(1000);
  REQUIRE(f.admin(createAction("other"), "acct-2").ok());
  f.clock.advance(1000);
  REQUIRE(f.admin(commands::SetPermission{"bob", true}).ok());
  f.clock.advance(1000);
  REQUIRE(f.admin(commands::RotateToken{a, ExpireMode::now}).ok());  // two events
  auto all = f.engine->audit(kAcct, 0, 1000, std::nullopt, std::nullopt);
  std::vector<uint64_t> seqs;
  for (const auto& e : all.events) seqs.push_back(e.reader().getSeq());
  CHECK(seqs == std::vector<uint64_t>{1, 3, 4, 5});
  CHECK_FALSE(all.next);

  // Pages of two: next is the last sequence of the page, null on the last page.
  auto p1 = f.engine->audit(kAcct, 0, 2, std::nullopt, std::nullopt);
  REQUIRE(p1.events.size() == 2);
  REQUIRE(p1.next);
  CHECK(*p1.next == 3);
  auto p2 = f.engine->audit(kAcct, *p1.next, 2, std::nullopt, std::nullopt);
  REQUIRE(p2.events.size() == 2);
  CHECK(p2.events[0].reader().getSeq() == 4);
  CHECK_FALSE(p2.next);  // exactly the last two: nothing follows
  auto p3 = f.engine->audit(kAcct, 5, 2, std::nullopt, std::nullopt);
  CHECK(p3.events.empty());
  CHECK_FALSE(p3.next);
  auto beyond = f.engine->audit(kAcct, UINT64_MAX, 2, std::nullopt, std::nullopt);
  CHECK(beyond.events.empty());
  CHECK_FALSE(beyond.next);

  // Time bounds are inclusive.
  auto window = f.engine->audit(kAcct, 0, 100, kT0 + 2000, kT0 + 2000);
  REQUIRE(window.events.size() == 1);
  CHECK(window.events[0].reader().getBody().isPermissionChanged());
  auto since = f.engine->audit(kAcct, 0, 100, kT0 + 2001, std::nullopt);
  CHECK(since.events.size() == 2);
  auto until = f.engine->audit(kAcct, 0, 1, std::nullopt, kT0);
  CHECK(until.events.size() == 1);
  CHECK_FALSE(until.next);
  auto other = f.engine->audit("acct-2", 0, 100, std::nullopt, std::nullopt);
  REQUIRE(other.events.size() == 1);
  CHECK(other.events[0].reader().getSeq() == 2);
}

TEST_CASE("engine as-of: the view as it was at a time", "[engine]") {
  Fixture f;
  auto id = f.create({"contacts.readonly"});
  f.clock.advance(1000);
  commands::EditIntegration edit;
  edit.integrationId = id;
  edit.scopes = std::vector<std::string>{"contacts.write"};
  REQUIRE(f.admin(edit).ok());
  f.clock.advance(1000);
  REQUIRE(f.admin(commands::RotateToken{id, ExpireMode::later}).ok());
  CHECK_FALSE(f.engine->integrationAsOf(kAcct, id, kT0 - 1));
  auto v1 = f.engine->integrationAsOf(kAcct, id, kT0 + 999);
  REQUIRE(v1);
  CHECK(v1->version == 1);
  CHECK(v1->scopes == std::vector<std::string>{"contacts.readonly"});
  auto v2 = f.engine->integrationAsOf(kAcct, id, kT0 + 1000);
  REQUIRE(v2);
  CHECK(v2->version == 2);
  CHECK(v2->scopes == std::vector<std::string>{"contacts.write"});
  auto v3 = f.engine->integrationAsOf(kAcct, id, kT0 + 5000);
  REQUIRE(v3);
  CHECK(v3->version == 3);
  CHECK(v3->tokens.size() == 2);
  CHECK_FALSE(f.engine->integrationAsOf("acct-2", id, kT0 + 5000));
}

TEST_CASE("engine stored views of another projection version are rebuilt at open", "[engine]") {
  Fixture f;
  auto id = f.create();
  const std::string t1 = f.issued.at(0);
  REQUIRE(f.admin(commands::RotateToken{id, ExpireMode::later}).ok());
  f.engine.reset();
  {
    ev::Store::Options o;
    o.path = f.dir.sub("data");
    auto store = ev::Store::open(o);
    auto& db = store->db();
    // Damage a view, drop a token entry, and mark the views as written by an older version.
    REQUIRE(db.Put(rocksdb::WriteOptions(), store->family(ev::keys::Family::integrations), id,
                   "garbage!").ok());
    store->scanPrefix(ev::keys::Family::tokens, {}, [&](std::string_view k, std::string_view) {
      REQUIRE(db.Delete(rocksdb::WriteOptions(), store->family(ev::keys::Family::tokens),
                        rocksdb::Slice(k.data(), k.size())).ok());
      return true;
    });
    REQUIRE(db.Delete(rocksdb::WriteOptions(), store->family(ev::keys::Family::meta),
                      rocksdb::Slice(ev::keys::kMetaViewsVersion.data(),
                                     ev::keys::kMetaViewsVersion.size())).ok());
  }
  f.open();
  CHECK_FALSE(storeProblem(f.engine->store()));
  CHECK(f.active(t1));
  CHECK(f.engine->tokenCount() == 2);
  CHECK(f.version(id) == 2);
}

TEST_CASE("engine a repeated idempotency key from an actor who may not act is 403, not a replay",
          "[engine]") {
  Fixture f;
  const auto carol = adminActor(kAcct, "carol");
  auto c = command(kAcct, carol, createAction());
  c.idempotency = idemKey("k", "create");
  auto first = f.run(c);
  REQUIRE(first.ok());
  REQUIRE(f.admin(commands::SetPermission{"carol", false}).ok());
  const auto seq = f.engine->lastSeq();
  auto again = f.run(c);
  CHECK(again.code == Code::permissionDenied);
  CHECK_FALSE(again.replayed);
  CHECK_FALSE(again.integration);
  // Someone else of the account who may act gets the replay.
  auto byAlice = c;
  byAlice.actor = adminActor(kAcct, "alice");
  auto replay = f.run(byAlice);
  CHECK(replay.ok());
  CHECK(replay.replayed);
  CHECK_FALSE(replay.token);
  CHECK(f.engine->lastSeq() == seq);
}

// A clock that steps back (an NTP correction, a restart on a host whose clock is behind): the
// engine's now() never goes before the last event's time, for verification as for decisions, so
// that what verify() answers never contradicts what the log already decided.
TEST_CASE("engine a clock stepped back: verification agrees with decisions, also after a restart",
          "[engine]") {
  Fixture f;
  auto id = f.create();
  const std::string t1 = f.issued.at(0);
  auto rotated = f.admin(commands::RotateToken{id, ExpireMode::later});  // T1's deadline: t0 + 10 s
  REQUIRE(rotated.ok());
  const std::string t2 = *rotated.token;
  f.clock.set(kT0 + 2 * kWindow);  // an event after the deadline (the scheduler has not run)
  REQUIRE(f.admin(commands::EditIntegration{id, std::string("renamed"), {}, {}}).ok());
  CHECK(activity(f, {t1, t2}) == "01");

  f.clock.set(kT0 + kWindow / 2);  // the clock steps back, before T1's deadline
  CHECK(f.engine->now() == kT0 + 2 * kWindow);
  CHECK(activity(f, {t1, t2}) == "01");
  // Decisions see the same: the window has elapsed, there is nothing to cancel.
  CHECK(f.admin(commands::CancelRotation{id}).code == Code::conflict);
  auto again = f.admin(commands::RotateToken{id, ExpireMode::later});
  REQUIRE(again.ok());
  const std::string t3 = *again.token;
  CHECK(activity(f, {t1, t2, t3}) == "011");  // never three at once

  // A restart on a host whose clock is behind the last event: the same answers.
  f.reopen();
  CHECK(f.engine->now() == kT0 + 2 * kWindow);
  CHECK(activity(f, {t1, t2, t3}) == "011");
  f.clock.set(kT0 + 3 * kWindow);
  CHECK(activity(f, {t1, t2, t3}) == "001");
}
