// API.md's rules over RPC: validation and its codes, the order in which faults answer, tenancy,
// If-Match and idempotency; and that a refused request changes nothing.
#include <catch2/catch.hpp>

#include "rpc_harness.h"

namespace pitlog::rpc::testing {
namespace {

using Expire = schema::Expire;

// Evaluates `reply` once; on failure shows its code, field and message.
#define REQUIRE_OK(reply)                                               \
  do {                                                                  \
    const auto& ok_ = (reply);                                          \
    INFO(ok_.code << " [" << ok_.field << "] " << ok_.message);         \
    REQUIRE(ok_.ok());                                                  \
  } while (false)

#define CHECK_REFUSED(reply, expectedCode, expectedField) \
  do {                                                    \
    auto r_ = (reply);                                    \
    INFO(r_.message);                                     \
    CHECK(r_.code == (expectedCode));                     \
    CHECK(r_.field == (expectedField));                   \
  } while (false)

const std::vector<std::string> kScopes = {"contacts.readonly"};

TEST_CASE("invalid input answers invalid_argument naming the field, and writes nothing") {
  Harness h;
  const auto alice = admin();
  auto existing = h.create(alice, "Existing", kScopes);
  REQUIRE_OK(existing);
  const auto id = existing.integration.id;
  const auto seq = h.engine().lastSeq();

  SECTION("create: name, description, scopes") {
    CHECK_REFUSED(h.create(alice, "", kScopes), "invalid_argument", "name");
    CHECK_REFUSED(h.create(alice, "   \t ", kScopes), "invalid_argument", "name");
    CHECK_REFUSED(h.create(alice, std::string(101, 'n'), kScopes), "invalid_argument", "name");
    CHECK_REFUSED(h.create(alice, "bell\x07", kScopes), "invalid_argument", "name");
    CHECK_REFUSED(h.create(alice, "bad \xff utf8", kScopes), "invalid_argument", "name");
    CHECK_REFUSED(h.create(alice, "ok", kScopes, std::string(1001, 'd')), "invalid_argument",
                  "description");
    CHECK_REFUSED(h.create(alice, "ok", {}), "invalid_argument", "scopes");
    CHECK_REFUSED(h.create(alice, "ok", {"contacts.everything"}), "invalid_argument", "scopes");
    CHECK_REFUSED(h.create(alice, "ok", std::vector<std::string>(101, "contacts.readonly")),
                  "invalid_argument", "scopes");
  }
  SECTION("the actor") {
    CHECK_REFUSED(h.create(Actor{"", "alice", schema::Actor::Role::ADMIN}, "ok", kScopes),
                  "invalid_argument", "actor.accountId");
    CHECK_REFUSED(h.create(Actor{"ac/me", "alice", schema::Actor::Role::ADMIN}, "ok", kScopes),
                  "invalid_argument", "actor.accountId");
    CHECK_REFUSED(h.list(Actor{std::string(65, 'a'), "alice", schema::Actor::Role::ADMIN}),
                  "invalid_argument", "actor.accountId");
    CHECK_REFUSED(h.create(Actor{"acme", "", schema::Actor::Role::ADMIN}, "ok", kScopes),
                  "invalid_argument", "actor.userId");
    CHECK_REFUSED(h.get(Actor{"acme", "al ice", schema::Actor::Role::ADMIN}, id),
                  "invalid_argument", "actor.userId");
    CHECK_REFUSED(h.create(Actor{"acme", "alice", schema::Actor::Role::UNSPECIFIED}, "ok", kScopes),
                  "invalid_argument", "actor.role");
    // A role number this schema does not know is not a role, least of all "system".
    CHECK_REFUSED(h.list(Actor{"acme", "alice", static_cast<schema::Actor::Role>(3)}),
                  "invalid_argument", "actor.role");
    CHECK_REFUSED(h.getPermission(Actor{"acme", "alice", static_cast<schema::Actor::Role>(9)}, "bob"),
                  "invalid_argument", "actor.role");
  }
  SECTION("options: request id, idempotency key, ifMatch") {
    CHECK_REFUSED(h.create(alice, "ok", kScopes, "", Options{"line\nbreak", std::nullopt, {}, {}}),
                  "invalid_argument", "requestId");
    CHECK_REFUSED(h.edit(alice, id, "ok", {}, {}, Options{std::string(129, 'r'), std::nullopt, {}, {}}),
                  "invalid_argument", "requestId");
    CHECK_REFUSED(h.create(alice, "ok", kScopes, "", Options::key(std::string(129, 'k'))),
                  "invalid_argument", "idempotencyKey");
    CHECK_REFUSED(h.remove(alice, id, Options::key("tab\tkey")), "invalid_argument",
                  "idempotencyKey");
    Options emptyList;
    emptyList.ifMatchKind = Options::IfMatch::versions;
    CHECK_REFUSED(h.edit(alice, id, "ok", {}, {}, emptyList), "invalid_argument", "ifMatch");
    // Set but empty is not "none" (HTTP's present-but-empty header is refused alike).
    CHECK_REFUSED(h.create(alice, "ok", kScopes, "", Options::key("")), "invalid_argument",
                  "idempotencyKey");
    CHECK_REFUSED(h.remove(alice, id, Options::key("")), "invalid_argument", "idempotencyKey");
    // One If-Match limit for both protocols: 100 versions (100 that miss version 1 are read,
    // and mismatch; 101 are refused before).
    Options hundred, hundredAndOne;
    hundred.ifMatchKind = hundredAndOne.ifMatchKind = Options::IfMatch::versions;
    for (uint32_t v = 2; v <= 101; ++v) hundred.ifMatch.push_back(v);
    hundredAndOne.ifMatch = hundred.ifMatch;
    hundredAndOne.ifMatch.push_back(102);
    CHECK_REFUSED(h.edit(alice, id, "ok", {}, {}, hundredAndOne), "invalid_argument", "ifMatch");
    CHECK_REFUSED(h.edit(alice, id, "ok", {}, {}, hundred), "version_mismatch", "");
  }
  SECTION("control characters, U+0000 included, name the field") {
    const std::string nul("a\0b", 3);
    CHECK_REFUSED(h.create(alice, nul, kScopes), "invalid_argument", "name");
    CHECK_REFUSED(h.create(alice, "ok", kScopes, nul), "invalid_argument", "description");
    CHECK_REFUSED(h.create(alice, "ok", {std::string("contacts.readonly\0", 18)}),
                  "invalid_argument", "scopes");
    CHECK_REFUSED(h.edit(alice, id, std::string("x\x7f")), "invalid_argument", "name");
    CHECK_REFUSED(h.get(alice, std::string("int\0x", 5)), "invalid_argument", "integrationId");
    CHECK_REFUSED(h.create(alice, "ok", kScopes, "", Options::key(std::string("k\0", 2))),
                  "invalid_argument", "idempotencyKey");
    // description keeps line breaks and tabs (validate_test), and nothing else.
    CHECK_REFUSED(h.create(alice, "ok", kScopes, "bell\a"), "invalid_argument", "description");
  }
  SECTION("query ranges, as over HTTP") {
    CHECK_REFUSED(h.list(alice, false, 36501), "invalid_argument", "staleAfter");
    CHECK_REFUSED(h.list(alice, false, 40000), "invalid_argument", "staleAfter");
    CHECK(h.list(alice, false, 36500).ok());
    CHECK_REFUSED(h.audit(alice, 0, 100, "2026-11-29T00:00:00Z", "2026-11-28T00:00:00Z"),
                  "invalid_argument", "since");
    CHECK(h.audit(alice, 0, 100, "2026-11-28T00:00:00Z", "2026-11-28T00:00:00Z").ok());
    CHECK_REFUSED(h.audit(alice, uint64_t{1} << 63), "invalid_argument", "after");
    CHECK(h.audit(alice, (uint64_t{1} << 63) - 1).ok());
  }
  SECTION("targets and operation parameters") {
    CHECK_REFUSED(h.edit(alice, "int/../x", "ok"), "invalid_argument", "integrationId");
    CHECK_REFUSED(h.get(alice, ""), "invalid_argument", "integrationId");
    CHECK_REFUSED(h.events(alice, "a b"), "invalid_argument", "integrationId");
    CHECK_REFUSED(h.remove(alice, ""), "invalid_argument", "integrationId");
    CHECK_REFUSED(h.edit(alice, id, std::nullopt), "invalid_argument", "");
    CHECK_REFUSED(h.edit(alice, id, std::string("")), "invalid_argument", "name");
    CHECK_REFUSED(h.edit(alice, id, std::nullopt, std::nullopt, std::vector<std::string>{}),
                  "invalid_argument", "scopes");
    CHECK_REFUSED(h.rotate(alice, id, Expire::UNSPECIFIED), "invalid_argument", "expire");
    CHECK_REFUSED(h.rotate(alice, id, static_cast<Expire>(7)), "invalid_argument", "expire");
    CHECK_REFUSED(h.get(alice, id, "2026-13-01T00:00:00Z"), "invalid_argument", "asOf");
    CHECK_REFUSED(h.get(alice, id, "2026-11-28T17:00:00"), "invalid_argument", "asOf");
    CHECK_REFUSED(h.audit(alice, 0, 0), "invalid_argument", "limit");
    CHECK_REFUSED(h.audit(alice, 0, 1001), "invalid_argument", "limit");
    CHECK_REFUSED(h.audit(alice, 0, 100, "soon"), "invalid_argument", "since");
    CHECK_REFUSED(h.audit(alice, 0, 100, "", "later"), "invalid_argument", "until");
    CHECK_REFUSED(h.getPermission(alice, ""), "invalid_argument", "userId");
    CHECK_REFUSED(h.setPermission(alice, "b/ob", true), "invalid_argument", "userId");
    REQUIRE_OK(h.audit(alice, 0, 1000));
    REQUIRE_OK(h.audit(alice, 0, 1));
  }
  SECTION("a payload larger than 64 KiB is payload_too_large, before its fields are judged") {
    auto tooBig = h.create(alice, "ok", kScopes, std::string(70 * 1024, 'd'));
    CHECK(tooBig.code == "payload_too_large");
    CHECK(h.edit(alice, id, std::nullopt, std::string(70 * 1024, 'd')).code ==
          "payload_too_large");
    // The connection survives it.
    REQUIRE_OK(h.get(alice, id));
  }
  CHECK(h.engine().lastSeq() == seq);
  auto unchanged = h.get(alice, id);
  REQUIRE_OK(unchanged);
  CHECK(unchanged.integration.version == 1);
  CHECK(unchanged.integration.name == "Existing");
}

TEST_CASE("the limits themselves are allowed: 100 characters (not bytes), 1000, 100 scopes") {
  Harness h;
  const auto alice = admin();
  CHECK(h.create(alice, std::string(100, 'n'), kScopes, std::string(1000, 'd')).ok());
  std::string accented;
  for (int i = 0; i < 100; ++i) accented += "\xc3\xa9";  // 100 characters, 200 bytes
  auto named = h.create(alice, accented, kScopes, "line one\nline two\ttabbed");
  REQUIRE_OK(named);
  CHECK(named.integration.name == accented);
  auto many = h.create(alice, "many", std::vector<std::string>(100, "contacts.readonly"));
  REQUIRE_OK(many);
  CHECK(many.integration.scopes == kScopes);
}

TEST_CASE("several faults: form, then authorization, existence, version, state") {
  Harness h;
  const auto alice = admin();
  const auto bob = user();  // no grant: may not manage
  auto existing = h.create(alice, "Existing", kScopes);
  REQUIRE_OK(existing);
  const auto id = existing.integration.id;
  const auto seq = h.engine().lastSeq();

  // 400 before 403
  CHECK(h.create(bob, "", kScopes).code == "invalid_argument");
  CHECK(h.rotate(bob, id, Expire::UNSPECIFIED).code == "invalid_argument");
  CHECK(h.get(bob, id, "not a time").code == "invalid_argument");
  CHECK(h.audit(bob, 0, 0).code == "invalid_argument");
  CHECK(h.setPermission(bob, "", true).code == "invalid_argument");
  // 403 before 404
  CHECK(h.create(bob, "ok", kScopes).code == "permission_denied");
  CHECK(h.get(bob, "no-such-integration").code == "permission_denied");
  CHECK(h.edit(bob, "no-such-integration", "x").code == "permission_denied");
  CHECK(h.events(bob, "no-such-integration").code == "permission_denied");
  CHECK(h.audit(bob).code == "permission_denied");
  CHECK(h.setPermission(bob, "bob", true).code == "permission_denied");
  // 404 before 412
  CHECK(h.edit(alice, "no-such-integration", "x", {}, {}, Options::version(99)).code ==
        "not_found");
  CHECK(h.expireNow(alice, "no-such-integration", Options::version(99)).code == "not_found");
  // 412 before 409: nothing is pending, and the version is wrong
  CHECK(h.cancelRotation(alice, id, Options::version(99)).code == "version_mismatch");
  CHECK(h.expireNow(alice, id, Options::version(99)).code == "version_mismatch");
  // 409 alone
  CHECK(h.cancelRotation(alice, id, Options::version(1)).code == "conflict");
  CHECK(h.engine().lastSeq() == seq);
}

TEST_CASE("tenancy: another account's integration is not_found to every operation") {
  Harness h;
  const auto alice = admin("acme", "alice");
  const auto mallory = admin("globex", "mallory");
  auto mine = h.create(alice, "Acme's", kScopes);
  REQUIRE_OK(mine);
  const auto id = mine.integration.id;
  const auto seq = h.engine().lastSeq();

  CHECK(h.get(mallory, id).code == "not_found");
  CHECK(h.get(mallory, id, "2030-01-01T00:00:00Z").code == "not_found");
  CHECK(h.edit(mallory, id, "mine now").code == "not_found");
  CHECK(h.rotate(mallory, id, Expire::NOW).code == "not_found");
  CHECK(h.rotate(mallory, id, Expire::LATER).code == "not_found");
  CHECK(h.cancelRotation(mallory, id).code == "not_found");
  CHECK(h.expireNow(mallory, id).code == "not_found");
  CHECK(h.remove(mallory, id).code == "not_found");
  CHECK(h.events(mallory, id).code == "not_found");
  REQUIRE_OK(h.list(mallory, true));
  CHECK(h.list(mallory, true).integrations.empty());
  REQUIRE_OK(h.audit(mallory));
  CHECK(h.audit(mallory).events.empty());
  // The same user id in another account is another actor.
  CHECK(h.get(admin("globex", "alice"), id).code == "not_found");

  CHECK(h.engine().lastSeq() == seq);
  auto still = h.get(alice, id);
  REQUIRE_OK(still);
  CHECK(still.integration.version == 1);
  CHECK(h.introspect(mine.token).active);
  CHECK(h.introspect(mine.token).accountId == "acme");
}

TEST_CASE("If-Match: a mutation applies only at a version it names") {
  Harness h;
  const auto alice = admin();
  auto created = h.create(alice, "v1", kScopes);
  REQUIRE_OK(created);
  const auto id = created.integration.id;

  auto edited = h.edit(alice, id, "v2", {}, {}, Options::version(1));
  REQUIRE_OK(edited);
  CHECK(edited.integration.version == 2);

  const auto seq = h.engine().lastSeq();
  auto stale = h.edit(alice, id, "lost update", {}, {}, Options::version(1));
  CHECK(stale.code == "version_mismatch");
  CHECK(h.rotate(alice, id, Expire::NOW, Options::version(1)).code == "version_mismatch");
  CHECK(h.remove(alice, id, Options::version(3)).code == "version_mismatch");
  CHECK(h.engine().lastSeq() == seq);
  CHECK(h.get(alice, id).integration.name == "v2");

  Options either;
  either.ifMatchKind = Options::IfMatch::versions;
  either.ifMatch = {7, 2};
  auto listed = h.edit(alice, id, "v3", {}, {}, either);
  REQUIRE_OK(listed);
  CHECK(listed.integration.version == 3);
  auto any = h.rotate(alice, id, Expire::LATER, Options::any());
  REQUIRE_OK(any);
  CHECK(any.integration.version == 4);
  REQUIRE_OK(h.cancelRotation(alice, id, Options::version(4)));
  auto deleted = h.remove(alice, id, Options::version(5));
  REQUIRE_OK(deleted);
  CHECK(deleted.version == 6);

  // The permission's own version: 0 before anything is recorded.
  REQUIRE_OK(h.setPermission(alice, "bob", true, Options::version(0)));
  CHECK(h.setPermission(alice, "bob", false, Options::version(0)).code == "version_mismatch");
  CHECK(h.getPermission(alice, "bob").allowed == std::optional<bool>(true));
  REQUIRE_OK(h.setPermission(alice, "bob", false, Options::version(1)));
}

TEST_CASE("idempotency: a repeated key answers as the first call did, without the token") {
  Harness h;
  const auto alice = admin();

  auto first = h.create(alice, "Once", kScopes, "", Options::key("create-1"));
  REQUIRE_OK(first);
  REQUIRE(first.hasToken);
  CHECK_FALSE(first.replayed);
  const auto seq = h.engine().lastSeq();

  auto replay = h.create(alice, "Once", kScopes, "", Options::key("create-1"));
  REQUIRE_OK(replay);
  CHECK(replay.replayed);
  CHECK_FALSE(replay.hasToken);
  CHECK(replay.integration.id == first.integration.id);
  CHECK(replay.integration.version == 1);
  CHECK(h.engine().lastSeq() == seq);
  CHECK(h.list(alice).integrations.size() == 1);
  CHECK(h.introspect(first.token).active);

  // The same key for anything else is a conflict.
  CHECK_REFUSED(h.create(alice, "Twice", kScopes, "", Options::key("create-1")), "conflict",
                "idempotencyKey");
  CHECK_REFUSED(h.create(alice, "Once", {"contacts.write"}, "", Options::key("create-1")),
                "conflict", "idempotencyKey");
  CHECK_REFUSED(h.rotate(alice, first.integration.id, Expire::NOW, Options::key("create-1")),
                "conflict", "idempotencyKey");
  CHECK(h.engine().lastSeq() == seq);
  // Keys are per account.
  auto elsewhere = h.create(admin("globex"), "Once", kScopes, "", Options::key("create-1"));
  REQUIRE_OK(elsewhere);
  CHECK_FALSE(elsewhere.replayed);
  CHECK(elsewhere.hasToken);

  // rotate: the replay shows the integration as the rotation left it, and no token.
  const auto id = first.integration.id;
  auto rotated = h.rotate(alice, id, Expire::LATER, Options::key("rotate-1"));
  REQUIRE_OK(rotated);
  REQUIRE(rotated.hasToken);
  REQUIRE_OK(h.edit(alice, id, "Renamed"));
  auto rotateAgain = h.rotate(alice, id, Expire::LATER, Options::key("rotate-1"));
  REQUIRE_OK(rotateAgain);
  CHECK(rotateAgain.replayed);
  CHECK_FALSE(rotateAgain.hasToken);
  CHECK(rotateAgain.integration.version == rotated.integration.version);
  CHECK(rotateAgain.integration.name == "Once");
  CHECK(h.introspect(rotated.token).active);
  int rotations = 0;
  for (const auto& e : h.events(alice, id).events) rotations += e.type == "RotationStarted";
  CHECK(rotations == 1);

  // A refused call records nothing: its key stays free.
  CHECK(h.cancelRotation(alice, "no-such-integration", Options::key("cancel-1")).code ==
        "not_found");
  auto cancel = h.cancelRotation(alice, id, Options::key("cancel-1"));
  REQUIRE_OK(cancel);
  CHECK_FALSE(cancel.replayed);
  CHECK(h.cancelRotation(alice, id, Options::key("cancel-1")).replayed);

  // delete and set-permission replay too.
  auto deleted = h.remove(alice, id, Options::key("delete-1"));
  REQUIRE_OK(deleted);
  auto deletedAgain = h.remove(alice, id, Options::key("delete-1"));
  REQUIRE_OK(deletedAgain);
  CHECK(deletedAgain.replayed);
  CHECK(deletedAgain.version == deleted.version);
  auto grant = h.setPermission(alice, "bob", true, Options::key("perm-1"));
  REQUIRE_OK(grant);
  REQUIRE_OK(h.setPermission(alice, "bob", false));
  auto grantAgain = h.setPermission(alice, "bob", true, Options::key("perm-1"));
  REQUIRE_OK(grantAgain);
  CHECK(grantAgain.replayed);
  CHECK(grantAgain.allowed == std::optional<bool>(true));
  CHECK(grantAgain.version == grant.version);
  CHECK(h.getPermission(alice, "bob").allowed == std::optional<bool>(false));

  // After 24 hours a key is new again.
  h.advance(24LL * 3600 * 1000);
  auto fresh = h.create(alice, "Once", kScopes, "", Options::key("create-1"));
  REQUIRE_OK(fresh);
  CHECK_FALSE(fresh.replayed);
  CHECK(fresh.hasToken);
  CHECK(fresh.integration.id != first.integration.id);
}

TEST_CASE("commands pipelined on one connection are answered in order") {
  Harness h;
  const auto alice = admin();
  constexpr int kCount = 40;
  std::vector<capnp::RemotePromise<schema::Session::CreateResults>> pending;
  for (int i = 0; i < kCount; ++i) {
    auto req = h.session().createRequest();
    auto actor = req.initActor();
    actor.setAccountId("acme");
    actor.setUserId("alice");
    actor.setRole(schema::Actor::Role::ADMIN);
    req.setName("n" + std::to_string(i));
    req.initScopes(1).set(0, "contacts.readonly");
    pending.push_back(req.send());
  }
  std::vector<std::string> ids;
  for (auto& p : pending) {
    auto response = p.wait(h.waitScope());
    auto result = response.getResult();
    REQUIRE(result.isOk());
    ids.emplace_back(result.getOk().getIntegration().getId().cStr());
  }
  auto listed = h.list(alice);
  REQUIRE_OK(listed);
  REQUIRE(listed.integrations.size() == kCount);
  for (int i = 0; i < kCount; ++i) {
    CHECK(listed.integrations[i].name == "n" + std::to_string(i));
    CHECK(listed.integrations[i].id == ids[i]);
  }
}

TEST_CASE("a client that hangs up mid-call does not disturb the server") {
  Harness h;
  {
    auto client = h.connect();
    auto login = client->login(kServiceKey).wait(h.waitScope());
    schema::Session::Client session = nullptr;
    KJ_IF_MAYBE(s, login.session) { session = *s; }
    REQUIRE(login.error.code.empty());
    auto req = session.createRequest();
    auto actor = req.initActor();
    actor.setAccountId("acme");
    actor.setUserId("alice");
    actor.setRole(schema::Actor::Role::ADMIN);
    req.setName("abandoned");
    req.initScopes(1).set(0, "contacts.readonly");
    auto promise = req.send();
    // Let the request reach the server, then drop the connection before the answer.
    h.waitScope().poll();
  }
  h.settle();
  h.waitScope().poll();
  auto listed = h.list(admin());
  REQUIRE_OK(listed);
  CHECK(listed.integrations.size() <= 1);
  REQUIRE_OK(h.create(admin(), "after", kScopes));
  CHECK(h.login(kServiceKey).ok());
}

}  // namespace
}  // namespace pitlog::rpc::testing
