// Revocation by value through the Engine on a real RocksDB (API.md "Token hygiene"): only a valid
// token gets an Expired(revoked) event, whichever account holds it; the token is inactive at
// once; the integration stays active with no valid token and a rotate (later or now) issues a
// working one; the stored views equal a rebuild.
#include <catch2/catch.hpp>

#include "commands/validate.h"
#include "core_support.h"
#include "support/temp_dir.h"

using namespace pitlog;
using namespace pitlog::coretest;
using commands::Code;
using commands::ExpireMode;
using pitlog::testing::TempDir;

namespace {

constexpr int64_t kWindow = 10'000;

struct Fixture {
  TempDir dir{"pitlog-core-revocation"};
  FakeClock clock;
  std::unique_ptr<commands::Engine> engine =
      commands::Engine::open(engineOptions(dir.sub("data"), clock, kWindow));

  ~Fixture() {
    if (!engine) return;
    auto problem = storeProblem(engine->store());
    CHECK_FALSE(problem);
  }

  // {integration id, token}
  std::pair<std::string, std::string> create(const std::string& account) {
    auto r = engine->execute(command(account, adminActor(account), createAction()));
    REQUIRE(r.ok());
    return {r.integration->id, *r.token};
  }
  std::string rotate(const std::string& account, const std::string& id, ExpireMode mode) {
    auto r = engine->execute(command(account, adminActor(account), commands::RotateToken{id, mode}));
    INFO(r.message);
    REQUIRE(r.ok());
    return *r.token;
  }
  commands::CommandResult revoke(const std::vector<std::string>& tokens,
                                 std::optional<std::string> source = std::nullopt) {
    commands::RevokeTokens action;
    for (const auto& t : tokens) action.tokens.push_back(ev::sha256(t));
    action.source = std::move(source);
    commands::Command c;
    c.actor = commands::revocationActor();
    c.action = std::move(action);
    return engine->execute(std::move(c));
  }
  uint64_t lastSeq() const { return engine->lastSeq(); }
};

}  // namespace

TEST_CASE("revoke: a current token gets one Expired(revoked) with its source and actor, and is "
          "inactive at once, and the integration stays active with no token",
          "[revocation]") {
  Fixture f;
  auto [id, token] = f.create("acct-1");
  const uint64_t before = f.lastSeq();
  auto r = f.revoke({token}, "https://github.com/acme/leak/blob/main/.env");
  REQUIRE(r.ok());
  CHECK(f.lastSeq() == before + 1);
  CHECK_FALSE(f.engine->verify(token).active);

  auto events = f.engine->integrationEvents("acct-1", id);
  REQUIRE(events.size() == 2);
  auto e = events.back().reader();
  REQUIRE(e.getBody().isExpired());
  CHECK(e.getBody().getExpired().getReason() == ev::schema::Expired::Reason::REVOKED);
  CHECK(ev::textView(e.getBody().getExpired().getSource()) ==
        "https://github.com/acme/leak/blob/main/.env");
  CHECK(ev::textView(e.getActor().getUserId()) == "revocation");
  CHECK(e.getActor().getRole() == ev::schema::Actor::Role::SYSTEM);
  CHECK(ev::textView(e.getAccountId()) == "acct-1");

  auto view = f.engine->integration("acct-1", id);
  REQUIRE(view);
  CHECK_FALSE(view->deleted);
  CHECK(view->tokens.empty());
  CHECK_FALSE(view->rotation);
}

TEST_CASE("revoke: unknown, malformed, expired, already revoked and repeated tokens append "
          "nothing and succeed",
          "[revocation]") {
  Fixture f;
  auto [id, t1] = f.create("acct-1");
  const std::string t2 = f.rotate("acct-1", id, ExpireMode::now);  // t1 expired (rotated_now)
  REQUIRE(f.revoke({t2}).ok());
  const uint64_t before = f.lastSeq();

  const std::string unknown = commands::generateToken().plaintext;
  const std::string malformed = "pit_notatoken";
  auto r = f.revoke({unknown, malformed, t1, t2, t2});
  CHECK(r.ok());
  CHECK(f.lastSeq() == before);
  CHECK(f.revoke({}).ok());
  CHECK(f.lastSeq() == before);
}

TEST_CASE("revoke: a previous token in its window, and another account's token, are revoked, and "
          "one token named twice expires once",
          "[revocation]") {
  Fixture f;
  auto [id1, t1] = f.create("acct-1");
  const std::string t2 = f.rotate("acct-1", id1, ExpireMode::later);  // t1 previous
  auto [id2, u1] = f.create("acct-2");
  const uint64_t before = f.lastSeq();
  REQUIRE(f.revoke({t1, u1, t1}).ok());
  CHECK(f.lastSeq() == before + 2);
  CHECK_FALSE(f.engine->verify(t1).active);
  CHECK_FALSE(f.engine->verify(u1).active);
  CHECK(f.engine->verify(t2).active);
  // The window is over: the rotation is no longer pending.
  auto v1 = f.engine->integration("acct-1", id1);
  REQUIRE(v1);
  CHECK_FALSE(v1->rotation);
  REQUIRE(v1->tokens.size() == 1);
  CHECK(f.engine->integrationEvents("acct-2", id2).back().reader().getAccountId() == "acct-2");
}

TEST_CASE("revoke: a rotate afterwards issues a working current token, and later acts as now when "
          "nothing is left to overlap",
          "[revocation]") {
  Fixture f;
  auto mode = GENERATE(ExpireMode::later, ExpireMode::now);
  auto [id, t1] = f.create("acct-1");
  REQUIRE(f.revoke({t1}).ok());
  const uint64_t before = f.lastSeq();
  const std::string t2 = f.rotate("acct-1", id, mode);
  CHECK(f.lastSeq() == before + 1);  // RotationStarted alone: no token to expire
  CHECK(f.engine->verify(t2).active);
  auto v = f.engine->integration("acct-1", id);
  REQUIRE(v);
  REQUIRE(v->tokens.size() == 1);
  CHECK(v->tokens[0].state == proj::TokenState::current);
  CHECK_FALSE(v->rotation);
  // A rotate later now overlaps as usual.
  const std::string t3 = f.rotate("acct-1", id, ExpireMode::later);
  CHECK(f.engine->verify(t2).active);
  CHECK(f.engine->verify(t3).active);
}

TEST_CASE("revoke: the new token of a pending rotation, and the previous one stays valid, a cancel "
          "makes it current again and a rotate later is 409 while it is pending",
          "[revocation]") {
  Fixture f;
  auto [id, t1] = f.create("acct-1");
  const std::string t2 = f.rotate("acct-1", id, ExpireMode::later);
  REQUIRE(f.revoke({t2}).ok());
  CHECK_FALSE(f.engine->verify(t2).active);
  CHECK(f.engine->verify(t1).active);
  auto later = f.engine->execute(
      command("acct-1", adminActor("acct-1"), commands::RotateToken{id, ExpireMode::later}));
  CHECK(later.code == Code::conflict);
  auto cancel = f.engine->execute(
      command("acct-1", adminActor("acct-1"), commands::CancelRotation{id}));
  REQUIRE(cancel.ok());
  REQUIRE(cancel.integration);
  REQUIRE(cancel.integration->tokens.size() == 1);
  CHECK(cancel.integration->tokens[0].state == proj::TokenState::current);
  CHECK_FALSE(cancel.integration->tokens[0].expiresAt);
  CHECK(f.engine->verify(t1).active);
}

TEST_CASE("revoke: a batch of 1000 tokens of 10 integrations in two accounts expires each once",
          "[revocation]") {
  Fixture f;
  std::vector<std::string> tokens;
  for (int i = 0; i < 10; ++i) tokens.push_back(f.create(i % 2 ? "acct-1" : "acct-2").second);
  while (tokens.size() < 1000) tokens.push_back(commands::generateToken().plaintext);
  const uint64_t before = f.lastSeq();
  REQUIRE(f.revoke(tokens, "scanner").ok());
  CHECK(f.lastSeq() == before + 10);
  for (int i = 0; i < 10; ++i) CHECK_FALSE(f.engine->verify(tokens[static_cast<size_t>(i)]).active);
}

TEST_CASE("revoke: a source over 500 characters or with a control character, and 1001 tokens, "
          "are 400 naming the field, and nothing is written",
          "[revocation]") {
  Fixture f;
  auto [id, t1] = f.create("acct-1");
  const uint64_t before = f.lastSeq();
  auto r = f.revoke({t1}, std::string(501, 'x'));
  CHECK(r.code == Code::invalidArgument);
  CHECK(r.field == "source");
  r = f.revoke({t1}, std::string("a\x01") + "b");
  CHECK(r.field == "source");
  CHECK(f.revoke({t1}, std::string(500, 'x')).ok());  // the limit itself passes
  CHECK(f.lastSeq() == before + 1);
  std::vector<std::string> many(1001, t1);
  r = f.revoke(many);
  CHECK(r.code == Code::invalidArgument);
  CHECK(r.field == "tokens");
  CHECK(f.lastSeq() == before + 1);
}

TEST_CASE("revoke: only the revocation actor may send it, for no account", "[revocation]") {
  Fixture f;
  auto [id, t1] = f.create("acct-1");
  commands::RevokeTokens action{{ev::sha256(t1)}, std::nullopt};
  auto asAdmin = f.engine->execute(command("acct-1", adminActor("acct-1"), action));
  CHECK(asAdmin.code == Code::permissionDenied);
  commands::Command c;
  c.actor = commands::revocationActor();
  c.accountId = "acct-1";
  c.action = action;
  CHECK(f.engine->execute(c).code == Code::permissionDenied);
  CHECK(f.engine->verify(t1).active);
}
