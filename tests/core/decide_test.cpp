// decide(), the pure decision, row by row through DESIGN.md's lifecycle table, with API.md's
// error precedence and permission rules. State is built the way the writer builds it: each
// decision's events are encoded, decoded and folded into the view with apply().
#include <catch2/catch.hpp>

#include "commands/decide.h"
#include "core_support.h"
#include "events/keys.h"
#include "projections/integration_view.h"

using namespace pitlog;
using namespace pitlog::coretest;
using commands::Code;
using commands::Decision;
using commands::Error;
using commands::ExpireMode;
namespace body = events::body;

namespace {

constexpr int64_t kWindow = 7LL * 24 * 3600 * 1000;
const std::string kAcct = "acct-1";
const std::string kId = "int_a";

// One integration's state, advanced only through decide() + encode + apply().
struct World {
  proj::IntegrationView view;
  uint64_t seq = 0;
  events::UnixMillis now = kT0;
  std::optional<bool> permission;  // the acting user's recorded grant/withdrawal
  std::vector<commands::FreshToken> tokens;  // every token issued, in order

  // As the writer gathers it: the stored view of the command's target, if there is one.
  commands::DecisionInput input(const commands::Command* c = nullptr,
                                const commands::FreshToken* token = nullptr) const {
    commands::DecisionInput in;
    const bool targeted = c != nullptr && !commands::targetIntegration(c->action).empty() &&
                          commands::targetIntegration(c->action) == view.id;
    in.integration = targeted && view.exists() ? &view : nullptr;
    in.actorPermission = permission;
    in.token = token;
    in.newIntegrationId = kId;
    in.now = now;
    in.rotationWindowMs = kWindow;
    return in;
  }

  std::variant<Decision, Error> decideOnly(const commands::Command& c) {
    const commands::FreshToken* token = nullptr;
    if (commands::issuesToken(c.action)) {
      tokens.push_back(commands::generateToken());
      token = &tokens.back();
    }
    return commands::decide(c, input(&c, token));
  }

  // Decides and, on success, folds the events in. Returns the decision or error.
  std::variant<Decision, Error> run(const commands::Command& c) {
    auto result = decideOnly(c);
    if (auto* d = std::get_if<Decision>(&result)) fold(d->events, c.actor);
    return result;
  }

  void fold(const std::vector<events::NewEvent>& evs, const events::Actor& actor) {
    for (const auto& e : evs) {
      events::Envelope env;
      env.seq = ++seq;
      env.streamVersion = view.version + 1;
      env.at = now;
      env.actor = actor;
      auto bytes = events::encodeEvent(e, env);
      std::string error;
      auto decoded = events::DecodedEvent::decode(bytes, &error);
      REQUIRE(decoded);
      view = proj::apply(view, decoded->reader());
    }
  }

  const events::Digest& digest(size_t i) const { return tokens.at(i).digest; }
  bool valid(size_t i) const {
    for (const auto& t : view.validTokens(now)) {
      if (t.digest == tokens.at(i).digest) return true;
    }
    return false;
  }
};

commands::Command as(const events::Actor& actor, commands::Action action) {
  return command(kAcct, actor, std::move(action));
}
commands::Command byAdmin(commands::Action action) { return as(adminActor(kAcct), std::move(action)); }

Decision ok(const std::variant<Decision, Error>& r) {
  if (auto* e = std::get_if<Error>(&r)) FAIL("unexpected error " << commands::codeName(e->code) << ": " << e->message);
  return std::get<Decision>(r);
}
Code codeOf(const std::variant<Decision, Error>& r) {
  if (auto* e = std::get_if<Error>(&r)) return e->code;
  return Code::ok;
}

World created() {
  World w;
  auto d = ok(w.run(byAdmin(createAction("Zapier", {"contacts.readonly"}))));
  REQUIRE(d.events.size() == 1);
  return w;
}

World rotatedLater() {
  World w = created();
  w.now += 1000;
  ok(w.run(byAdmin(commands::RotateToken{kId, ExpireMode::later})));
  return w;
}

template <typename T>
const T& bodyOf(const events::NewEvent& e) {
  REQUIRE(std::holds_alternative<T>(e.body));
  return std::get<T>(e.body);
}

}  // namespace

TEST_CASE("decide create: Created with the first token's digest and hint, T1 current",
          "[decide]") {
  World w;
  auto d = ok(w.run(byAdmin(createAction("Zapier", {"contacts.readonly", "contacts.write"}, "d"))));
  REQUIRE(d.events.size() == 1);
  CHECK(d.events[0].streamId == kId);
  CHECK(d.events[0].accountId == kAcct);
  const auto& c = bodyOf<body::Created>(d.events[0]);
  CHECK(c.name == "Zapier");
  CHECK(c.description == "d");
  CHECK(c.scopes == std::vector<std::string>{"contacts.readonly", "contacts.write"});
  CHECK((c.token == w.digest(0)));
  CHECK(c.tokenHint == std::string(commands::tokenTail(w.tokens[0].plaintext)));
  CHECK(c.tokenHint.size() == 4);
  CHECK(w.view.version == 1);
  CHECK(w.valid(0));
  REQUIRE(w.view.current());
  CHECK((w.view.current()->digest == w.digest(0)));
  CHECK_FALSE(w.view.rotation);
}

TEST_CASE("decide edit: ScopesUpdated with the complete values, tokens unchanged", "[decide]") {
  World w = created();
  commands::EditIntegration edit;
  edit.integrationId = kId;
  edit.scopes = std::vector<std::string>{"calendars.readonly"};
  auto d = ok(w.run(byAdmin(edit)));
  REQUIRE(d.events.size() == 1);
  const auto& s = bodyOf<body::ScopesUpdated>(d.events[0]);
  CHECK(s.name == "Zapier");  // carried over, so the event alone rebuilds the view
  CHECK(s.description.empty());
  CHECK(s.scopes == std::vector<std::string>{"calendars.readonly"});
  CHECK(w.tokens.size() == 1);  // editing never issues a token
  CHECK(w.valid(0));
  CHECK(w.view.scopes == std::vector<std::string>{"calendars.readonly"});

  commands::EditIntegration rename;
  rename.integrationId = kId;
  rename.name = "Make";
  auto d2 = ok(w.run(byAdmin(rename)));
  const auto& s2 = bodyOf<body::ScopesUpdated>(d2.events[0]);
  CHECK(s2.name == "Make");
  CHECK(s2.scopes == std::vector<std::string>{"calendars.readonly"});
  CHECK(w.view.version == 3);
}

TEST_CASE("decide rotate later: RotationStarted, T2 current, T1 valid until now + window",
          "[decide]") {
  World w = created();
  w.now += 5000;
  auto d = ok(w.run(byAdmin(commands::RotateToken{kId, ExpireMode::later})));
  REQUIRE(d.events.size() == 1);
  const auto& r = bodyOf<body::RotationStarted>(d.events[0]);
  CHECK((r.token == w.digest(1)));
  CHECK((r.previousToken == w.digest(0)));
  CHECK(r.previousExpiresAt == w.now + kWindow);
  CHECK_FALSE(r.expireNow);
  CHECK(r.tokenHint == std::string(commands::tokenTail(w.tokens[1].plaintext)));
  CHECK(w.valid(0));
  CHECK(w.valid(1));
  REQUIRE(w.view.rotation);
  CHECK(w.view.rotation->startedAt == w.now);
  CHECK(w.view.rotation->previousExpiresAt == w.now + kWindow);
  CHECK((w.view.current()->digest == w.digest(1)));

  SECTION("a second rotate later while pending is 409") {
    w.now += 1000;
    CHECK(codeOf(w.run(byAdmin(commands::RotateToken{kId, ExpireMode::later}))) == Code::conflict);
  }
  SECTION("T1 is valid strictly before the deadline, not at it") {
    const auto deadline = w.view.rotation->previousExpiresAt;
    w.now = deadline - 1;
    CHECK(w.valid(0));
    w.now = deadline;
    CHECK_FALSE(w.valid(0));
    CHECK(w.valid(1));
  }
}

TEST_CASE("decide cancel rotation: RotationCancelled, T1 current again, T2 invalid", "[decide]") {
  World w = rotatedLater();
  w.now += 1000;
  auto d = ok(w.run(byAdmin(commands::CancelRotation{kId})));
  REQUIRE(d.events.size() == 1);
  const auto& c = bodyOf<body::RotationCancelled>(d.events[0]);
  CHECK((c.cancelledToken == w.digest(1)));
  CHECK((c.restoredToken == w.digest(0)));
  CHECK(w.valid(0));
  CHECK_FALSE(w.valid(1));
  CHECK((w.view.current()->digest == w.digest(0)));
  CHECK_FALSE(w.view.current()->expiresAt);
  CHECK_FALSE(w.view.rotation);

  SECTION("cancelling again is 409") {
    CHECK(codeOf(w.run(byAdmin(commands::CancelRotation{kId}))) == Code::conflict);
  }
  SECTION("T1 no longer has a deadline") {
    w.now += 10 * kWindow;
    CHECK(w.valid(0));
  }
}

TEST_CASE("decide cancel or expire-now with no rotation pending is 409", "[decide]") {
  World w = created();
  CHECK(codeOf(w.run(byAdmin(commands::CancelRotation{kId}))) == Code::conflict);
  CHECK(codeOf(w.run(byAdmin(commands::ExpireRotationNow{kId}))) == Code::conflict);
  CHECK(w.view.version == 1);
}

TEST_CASE("decide expire now inside the window: Expired(manual), T2 only", "[decide]") {
  World w = rotatedLater();
  w.now += 1000;
  auto d = ok(w.run(byAdmin(commands::ExpireRotationNow{kId})));
  REQUIRE(d.events.size() == 1);
  const auto& x = bodyOf<body::Expired>(d.events[0]);
  CHECK((x.token == w.digest(0)));
  CHECK(x.reason == events::ExpiryReason::manual);
  CHECK_FALSE(w.valid(0));
  CHECK(w.valid(1));
  CHECK_FALSE(w.view.rotation);

  SECTION("cancel after expire-now is 409 and changes nothing") {
    CHECK(codeOf(w.run(byAdmin(commands::CancelRotation{kId}))) == Code::conflict);
    CHECK_FALSE(w.valid(0));
    CHECK(w.valid(1));
  }
  SECTION("expire-now again is 409") {
    CHECK(codeOf(w.run(byAdmin(commands::ExpireRotationNow{kId}))) == Code::conflict);
  }
  SECTION("a new rotate later is allowed again") {
    ok(w.run(byAdmin(commands::RotateToken{kId, ExpireMode::later})));
    CHECK(w.valid(1));
    CHECK(w.valid(2));
  }
  SECTION("the scheduler has nothing to do for a window cut short") {
    w.now += 2 * kWindow;
    auto s = ok(w.run(command(kAcct, events::Actor::system(), commands::ExpireElapsedWindow{kId})));
    CHECK(s.events.empty());
  }
}

TEST_CASE("decide the window elapses: Expired(window_elapsed) only at or after the deadline",
          "[decide]") {
  World w = rotatedLater();
  const auto deadline = w.view.rotation->previousExpiresAt;
  auto scheduler = command(kAcct, events::Actor::system(), commands::ExpireElapsedWindow{kId});

  w.now = deadline - 1;
  CHECK(ok(w.run(scheduler)).events.empty());
  CHECK(w.valid(0));

  w.now = deadline;
  auto d = ok(w.run(scheduler));
  REQUIRE(d.events.size() == 1);
  const auto& x = bodyOf<body::Expired>(d.events[0]);
  CHECK((x.token == w.digest(0)));
  CHECK(x.reason == events::ExpiryReason::windowElapsed);
  CHECK(w.view.tokens.size() == 1);
  CHECK(w.valid(1));
  CHECK_FALSE(w.view.rotation);

  // Run again: nothing left to expire.
  CHECK(ok(w.run(scheduler)).events.empty());
}

TEST_CASE("decide the scheduler writes nothing for cancelled or deleted windows", "[decide]") {
  auto scheduler = command(kAcct, events::Actor::system(), commands::ExpireElapsedWindow{kId});
  SECTION("cancelled") {
    World w = rotatedLater();
    ok(w.run(byAdmin(commands::CancelRotation{kId})));
    w.now += 2 * kWindow;
    CHECK(ok(w.run(scheduler)).events.empty());
  }
  SECTION("deleted") {
    World w = rotatedLater();
    ok(w.run(byAdmin(commands::DeleteIntegration{kId})));
    w.now += 2 * kWindow;
    CHECK(ok(w.run(scheduler)).events.empty());
  }
  SECTION("unknown integration") {
    World w;
    CHECK(ok(w.run(scheduler)).events.empty());
  }
}

TEST_CASE("decide rotate now without a pending window: RotationStarted + Expired(rotated_now)",
          "[decide]") {
  World w = created();
  w.now += 1000;
  auto d = ok(w.run(byAdmin(commands::RotateToken{kId, ExpireMode::now})));
  REQUIRE(d.events.size() == 2);
  const auto& r = bodyOf<body::RotationStarted>(d.events[0]);
  CHECK((r.token == w.digest(1)));
  CHECK((r.previousToken == w.digest(0)));
  CHECK(r.previousExpiresAt == w.now);
  CHECK(r.expireNow);
  const auto& x = bodyOf<body::Expired>(d.events[1]);
  CHECK((x.token == w.digest(0)));
  CHECK(x.reason == events::ExpiryReason::rotatedNow);
  CHECK_FALSE(w.valid(0));
  CHECK(w.valid(1));
  CHECK(w.view.tokens.size() == 1);
  CHECK_FALSE(w.view.rotation);
  CHECK(w.view.version == 3);
}

TEST_CASE("decide rotate now during a pending window expires BOTH valid tokens", "[decide]") {
  World w = rotatedLater();  // T1 previous, T2 current
  w.now += 1000;
  auto d = ok(w.run(byAdmin(commands::RotateToken{kId, ExpireMode::now})));
  REQUIRE(d.events.size() == 3);
  const auto& r = bodyOf<body::RotationStarted>(d.events[0]);
  CHECK((r.token == w.digest(2)));
  CHECK((r.previousToken == w.digest(1)));
  CHECK(r.expireNow);
  std::vector<events::Digest> expired;
  for (size_t i = 1; i < d.events.size(); ++i) {
    const auto& x = bodyOf<body::Expired>(d.events[i]);
    CHECK(x.reason == events::ExpiryReason::rotatedNow);
    expired.push_back(x.token);
  }
  CHECK(std::count(expired.begin(), expired.end(), w.digest(0)) == 1);
  CHECK(std::count(expired.begin(), expired.end(), w.digest(1)) == 1);
  CHECK_FALSE(w.valid(0));
  CHECK_FALSE(w.valid(1));
  CHECK(w.valid(2));
  CHECK(w.view.tokens.size() == 1);
  CHECK_FALSE(w.view.rotation);

  // The window was cut short: cancel, expire-now and the scheduler find nothing.
  CHECK(codeOf(w.run(byAdmin(commands::CancelRotation{kId}))) == Code::conflict);
  CHECK(codeOf(w.run(byAdmin(commands::ExpireRotationNow{kId}))) == Code::conflict);
  w.now += 2 * kWindow;
  auto s = ok(w.run(command(kAcct, events::Actor::system(), commands::ExpireElapsedWindow{kId})));
  CHECK(s.events.empty());
}

TEST_CASE("decide a window that has elapsed is no longer pending, before the scheduler ran",
          "[decide]") {
  // The deadline passed but the scheduler's Expired is not written yet: T1 is already rejected by
  // verification, so nothing may bring it back, and the rotation is over.
  World w = rotatedLater();
  w.now = w.view.rotation->previousExpiresAt;
  REQUIRE_FALSE(w.valid(0));

  SECTION("cancel is 409: it must not make the expired T1 current again") {
    CHECK(codeOf(w.run(byAdmin(commands::CancelRotation{kId}))) == Code::conflict);
    CHECK_FALSE(w.valid(0));
    CHECK(w.valid(1));
  }
  SECTION("expire-now is 409: there is no window left to cut short") {
    CHECK(codeOf(w.run(byAdmin(commands::ExpireRotationNow{kId}))) == Code::conflict);
  }
  SECTION("rotate later is allowed, and a cancel then restores T2, not the expired T1") {
    ok(w.run(byAdmin(commands::RotateToken{kId, ExpireMode::later})));
    CHECK_FALSE(w.valid(0));
    CHECK(w.valid(1));
    CHECK(w.valid(2));
    w.now += 1000;
    auto d = ok(w.run(byAdmin(commands::CancelRotation{kId})));
    const auto& c = bodyOf<body::RotationCancelled>(d.events.at(0));
    CHECK((c.cancelledToken == w.digest(2)));
    CHECK((c.restoredToken == w.digest(1)));
    CHECK_FALSE(w.valid(0));
    CHECK(w.valid(1));
    CHECK_FALSE(w.valid(2));
    // The scheduler still closes the old window.
    auto s = ok(w.run(command(kAcct, events::Actor::system(), commands::ExpireElapsedWindow{kId})));
    REQUIRE(s.events.size() == 1);
    CHECK((bodyOf<body::Expired>(s.events[0]).token == w.digest(0)));
  }
  SECTION("rotate later then expire-now expires T2 and ends the rotation") {
    ok(w.run(byAdmin(commands::RotateToken{kId, ExpireMode::later})));
    auto d = ok(w.run(byAdmin(commands::ExpireRotationNow{kId})));
    REQUIRE(d.events.size() == 1);
    CHECK((bodyOf<body::Expired>(d.events[0]).token == w.digest(1)));
    CHECK(w.valid(2));
    CHECK_FALSE(w.valid(1));
    CHECK_FALSE(w.view.rotation);
  }
  SECTION("rotate now expires only the valid T2, and leaves no rotation") {
    auto d = ok(w.run(byAdmin(commands::RotateToken{kId, ExpireMode::now})));
    REQUIRE(d.events.size() == 2);
    CHECK((bodyOf<body::Expired>(d.events[1]).token == w.digest(1)));
    CHECK(w.valid(2));
    CHECK_FALSE(w.valid(0));
    CHECK_FALSE(w.valid(1));
    CHECK_FALSE(w.view.rotation);  // API.md: null, always, after a rotate with now
  }
}

TEST_CASE("decide delete: Deleted, no token valid, every later command 404", "[decide]") {
  World w = rotatedLater();
  auto d = ok(w.run(byAdmin(commands::DeleteIntegration{kId})));
  REQUIRE(d.events.size() == 1);
  CHECK(std::holds_alternative<body::Deleted>(d.events[0].body));
  CHECK(w.view.deleted);
  CHECK_FALSE(w.valid(0));
  CHECK_FALSE(w.valid(1));
  CHECK(w.view.validTokens(w.now).empty());

  commands::EditIntegration edit;
  edit.integrationId = kId;
  edit.name = "x";
  const std::vector<commands::Action> actions = {
      edit,
      commands::RotateToken{kId, ExpireMode::later},
      commands::RotateToken{kId, ExpireMode::now},
      commands::CancelRotation{kId},
      commands::ExpireRotationNow{kId},
      commands::DeleteIntegration{kId},
  };
  for (const auto& a : actions) {
    INFO("action index " << a.index());
    CHECK(codeOf(w.decideOnly(byAdmin(a))) == Code::notFound);
  }
}

TEST_CASE("decide another account's integration is 404 for every command", "[decide]") {
  World w = rotatedLater();
  const std::string other = "acct-2";
  commands::EditIntegration edit;
  edit.integrationId = kId;
  edit.name = "x";
  const std::vector<commands::Action> actions = {
      edit,
      commands::RotateToken{kId, ExpireMode::later},
      commands::RotateToken{kId, ExpireMode::now},
      commands::CancelRotation{kId},
      commands::ExpireRotationNow{kId},
      commands::DeleteIntegration{kId},
  };
  for (const auto& a : actions) {
    INFO("action index " << a.index());
    CHECK(codeOf(w.decideOnly(command(other, adminActor(other), a))) == Code::notFound);
  }
  // An unknown id is 404 too.
  CHECK(codeOf(w.decideOnly(byAdmin(commands::DeleteIntegration{"int_nope"}))) == Code::notFound);
  World empty;
  CHECK(codeOf(empty.decideOnly(byAdmin(commands::DeleteIntegration{kId}))) == Code::notFound);
}

TEST_CASE("decide error precedence: 403 > 404 > 412 > 409", "[decide]") {
  World w = created();  // no rotation pending: cancel is a 409 by state
  const auto plainUser = userActor(kAcct);
  commands::IfMatch wrong{false, {99}};

  // 403 beats 404: a plain user asking about an unknown integration.
  auto unknownByUser = as(plainUser, commands::CancelRotation{"int_nope"});
  unknownByUser.ifMatch = wrong;
  CHECK(codeOf(w.decideOnly(unknownByUser)) == Code::permissionDenied);

  // 403 beats 412 and 409 on an existing integration.
  auto byUser = as(plainUser, commands::CancelRotation{kId});
  byUser.ifMatch = wrong;
  CHECK(codeOf(w.decideOnly(byUser)) == Code::permissionDenied);

  // 404 beats 412.
  auto unknown = byAdmin(commands::CancelRotation{"int_nope"});
  unknown.ifMatch = wrong;
  CHECK(codeOf(w.decideOnly(unknown)) == Code::notFound);
  auto otherAccount = command("acct-2", adminActor("acct-2"), commands::CancelRotation{kId});
  otherAccount.ifMatch = wrong;
  CHECK(codeOf(w.decideOnly(otherAccount)) == Code::notFound);

  // 412 beats 409.
  auto stale = byAdmin(commands::CancelRotation{kId});
  stale.ifMatch = wrong;
  CHECK(codeOf(w.decideOnly(stale)) == Code::versionMismatch);

  // With the right version the state answers.
  auto right = byAdmin(commands::CancelRotation{kId});
  right.ifMatch = commands::IfMatch{false, {1}};
  CHECK(codeOf(w.decideOnly(right)) == Code::conflict);

  // Rotate later while pending, with a stale If-Match: 412.
  ok(w.run(byAdmin(commands::RotateToken{kId, ExpireMode::later})));
  auto again = byAdmin(commands::RotateToken{kId, ExpireMode::later});
  again.ifMatch = commands::IfMatch{false, {1}};
  CHECK(codeOf(w.decideOnly(again)) == Code::versionMismatch);
  again.ifMatch = commands::IfMatch{false, {2}};
  CHECK(codeOf(w.decideOnly(again)) == Code::conflict);
}

TEST_CASE("decide If-Match: *, a list, and mismatches", "[decide]") {
  World w = created();
  commands::EditIntegration edit;
  edit.integrationId = kId;
  edit.name = "x";
  auto c = byAdmin(edit);
  c.ifMatch = commands::IfMatch{true, {}};
  CHECK(codeOf(w.decideOnly(c)) == Code::ok);
  c.ifMatch = commands::IfMatch{false, {7, 1, 3}};
  CHECK(codeOf(w.decideOnly(c)) == Code::ok);
  c.ifMatch = commands::IfMatch{false, {2}};
  CHECK(codeOf(w.decideOnly(c)) == Code::versionMismatch);
  c.ifMatch = commands::IfMatch{false, {}};
  CHECK(codeOf(w.decideOnly(c)) == Code::versionMismatch);
}

TEST_CASE("decide permissions: who may manage", "[decide]") {
  using commands::mayManage;
  const auto admin = adminActor(kAcct);
  const auto user = userActor(kAcct);
  CHECK(mayManage(admin, std::nullopt));
  CHECK_FALSE(mayManage(user, std::nullopt));
  CHECK(mayManage(user, true));       // a grant lets a plain user
  CHECK_FALSE(mayManage(admin, false));  // a withdrawal stops an admin
  CHECK(mayManage(admin, true));
  CHECK_FALSE(mayManage(user, false));
  CHECK(mayManage(events::Actor::system(), std::nullopt));

  SECTION("a plain user may not create; with a grant they may") {
    World w;
    CHECK(codeOf(w.decideOnly(as(user, createAction()))) == Code::permissionDenied);
    w.permission = true;
    CHECK(codeOf(w.decideOnly(as(user, createAction()))) == Code::ok);
  }
  SECTION("a withdrawn admin may do nothing to integrations") {
    World w = rotatedLater();
    w.permission = false;
    commands::EditIntegration edit;
    edit.integrationId = kId;
    edit.name = "x";
    const std::vector<commands::Action> actions = {
        createAction(),
        edit,
        commands::RotateToken{kId, ExpireMode::later},
        commands::RotateToken{kId, ExpireMode::now},
        commands::CancelRotation{kId},
        commands::ExpireRotationNow{kId},
        commands::DeleteIntegration{kId},
    };
    for (const auto& a : actions) {
      INFO("action index " << a.index());
      CHECK(codeOf(w.decideOnly(byAdmin(a))) == Code::permissionDenied);
    }
    w.permission = true;
    CHECK(codeOf(w.decideOnly(byAdmin(commands::CancelRotation{kId}))) == Code::ok);
  }
}

TEST_CASE("decide set permission: admins only, on the user's permission stream", "[decide]") {
  World w;
  auto d = ok(w.decideOnly(byAdmin(commands::SetPermission{"bob", true})));
  REQUIRE(d.events.size() == 1);
  CHECK(d.events[0].streamId == events::keys::permissionStreamId(kAcct, "bob"));
  CHECK(d.events[0].streamId == "perm/" + kAcct + "/bob");
  CHECK(d.events[0].accountId == kAcct);
  const auto& p = bodyOf<body::PermissionChanged>(d.events[0]);
  CHECK(p.userId == "bob");
  CHECK(p.allowed);

  auto withdraw = ok(w.decideOnly(byAdmin(commands::SetPermission{"carol", false})));
  CHECK_FALSE(bodyOf<body::PermissionChanged>(withdraw.events.at(0)).allowed);

  // A plain user may not, even one granted the right to manage integrations.
  w.permission = true;
  CHECK(codeOf(w.decideOnly(as(userActor(kAcct), commands::SetPermission{"bob", true}))) ==
        Code::permissionDenied);
  // An admin whose own management right was withdrawn is still an admin.
  w.permission = false;
  CHECK(codeOf(w.decideOnly(byAdmin(commands::SetPermission{"bob", true}))) == Code::ok);

  // If-Match against the permission stream's version.
  auto c = byAdmin(commands::SetPermission{"bob", true});
  c.ifMatch = commands::IfMatch{false, {3}};
  auto in = w.input(&c);
  in.permissionStreamVersion = 2;
  CHECK(codeOf(commands::decide(c, in)) == Code::versionMismatch);
  in.permissionStreamVersion = 3;
  CHECK(codeOf(commands::decide(c, in)) == Code::ok);
  // 403 before 412.
  auto byUser = as(userActor(kAcct), commands::SetPermission{"bob", true});
  byUser.ifMatch = commands::IfMatch{false, {3}};
  in.permissionStreamVersion = 2;
  CHECK(codeOf(commands::decide(byUser, in)) == Code::permissionDenied);
}
