// API.md's stateless rules, as validate() applies them before a command is queued: each rule at
// its bounds, the normalisation it performs, and the field it blames.
#include <catch2/catch.hpp>

#include "commands/validate.h"
#include "core_support.h"

using namespace pitlog;
using namespace pitlog::coretest;
using commands::Code;

namespace {

const commands::ScopeCatalogue& catalogue() {
  static const auto c = commands::ScopeCatalogue::builtIn();
  return c;
}

std::optional<commands::Error> check(commands::Command& c) {
  return commands::validate(c, catalogue());
}

std::optional<commands::Error> checkCreate(std::string name, std::string description = "",
                                           std::vector<std::string> scopes = {"contacts.readonly"}) {
  auto c = command("acct", adminActor("acct"),
                   commands::CreateIntegration{std::move(name), std::move(description),
                                               std::move(scopes)});
  return check(c);
}

std::string repeat(const std::string& s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

// Expects an invalid_argument blaming `field`.
void requireInvalid(const std::optional<commands::Error>& e, const std::string& field) {
  REQUIRE(e.has_value());
  CHECK(e->code == Code::invalidArgument);
  CHECK(e->field == field);
  CHECK_FALSE(e->message.empty());
}

}  // namespace

TEST_CASE("the built-in catalogue is sorted, unique and holds the documented scopes", "[validate]") {
  const auto& scopes = catalogue().scopes();
  REQUIRE(scopes.size() > 10);
  CHECK(std::is_sorted(scopes.begin(), scopes.end()));
  CHECK(std::adjacent_find(scopes.begin(), scopes.end()) == scopes.end());
  CHECK(catalogue().contains("contacts.readonly"));
  CHECK(catalogue().contains("contacts.write"));
  CHECK_FALSE(catalogue().contains("contacts"));
  CHECK_FALSE(catalogue().contains("# pitlog scope catalogue"));
  CHECK_THROWS_AS(commands::ScopeCatalogue::parse("good.scope\nbad scope\n"),
                  std::invalid_argument);
  CHECK_THROWS_AS(commands::ScopeCatalogue::parse("# only a comment\n\n"), std::invalid_argument);
}

TEST_CASE("name: 1-100 characters after trimming, no control characters", "[validate]") {
  CHECK_FALSE(checkCreate("Z"));
  CHECK_FALSE(checkCreate(std::string(100, 'n')));
  CHECK_FALSE(checkCreate("  " + std::string(100, 'n') + "\t "));  // trimmed to 100
  // Characters, not bytes: 100 two-byte and 100 four-byte characters are fine.
  CHECK_FALSE(checkCreate(repeat("\xC3\xA9", 100)));
  CHECK_FALSE(checkCreate(repeat("\xF0\x9F\x94\x91", 100)));
  CHECK_FALSE(checkCreate("Zapier \xE2\x80\x94 CRM sync"));

  requireInvalid(checkCreate(""), "name");
  requireInvalid(checkCreate("   "), "name");
  requireInvalid(checkCreate(" \t\r\n "), "name");
  requireInvalid(checkCreate(std::string(101, 'n')), "name");
  requireInvalid(checkCreate(repeat("\xC3\xA9", 101)), "name");
  for (std::string bad : {std::string("a\x01z"), std::string("a\nb"), std::string("a\tb"),
                          std::string("a\x7f"), std::string("a\xC2\x85z"),  // U+0085 NEL (C1)
                          std::string("a\x1bz"), std::string("a\0b", 3)}) {
    INFO("name bytes " << bad.size());
    requireInvalid(checkCreate(bad), "name");
  }
}

TEST_CASE("validate trims the name it accepts", "[validate]") {
  auto c = command("acct", adminActor("acct"), createAction("  Zapier \n"));
  REQUIRE_FALSE(check(c));
  CHECK(std::get<commands::CreateIntegration>(c.action).name == "Zapier");

  commands::EditIntegration edit;
  edit.integrationId = "int_1";
  edit.name = "\tRenamed ";
  auto e = command("acct", adminActor("acct"), edit);
  REQUIRE_FALSE(check(e));
  CHECK(*std::get<commands::EditIntegration>(e.action).name == "Renamed");
}

TEST_CASE("description: 0-1000 characters, line breaks allowed", "[validate]") {
  CHECK_FALSE(checkCreate("n", ""));
  CHECK_FALSE(checkCreate("n", std::string(1000, 'd')));
  CHECK_FALSE(checkCreate("n", repeat("\xE2\x82\xAC", 1000)));  // 1000 euro signs, 3000 bytes
  CHECK_FALSE(checkCreate("n", "line one\nline two\r\n\tindented"));
  requireInvalid(checkCreate("n", std::string(1001, 'd')), "description");
  requireInvalid(checkCreate("n", repeat("\xE2\x82\xAC", 1001)), "description");
  requireInvalid(checkCreate("n", "bell\x07"), "description");
  requireInvalid(checkCreate("n", "del\x7f"), "description");
}

TEST_CASE("scopes: 1-100 entries from the catalogue, duplicates collapsed, sorted", "[validate]") {
  requireInvalid(checkCreate("n", "", {}), "scopes");
  requireInvalid(checkCreate("n", "", {"contacts.readonly", "no.such.scope"}), "scopes");
  requireInvalid(checkCreate("n", "", {"Contacts.readonly"}), "scopes");
  requireInvalid(checkCreate("n", "", {"contacts.readonly "}), "scopes");
  requireInvalid(checkCreate("n", "", {""}), "scopes");
  requireInvalid(checkCreate("n", "", {"\xff\xfe"}), "scopes");

  // 100 entries (with repeats: the catalogue is smaller) pass; 101 do not.
  std::vector<std::string> hundred;
  for (size_t i = 0; i < 100; ++i) hundred.push_back(catalogue().scopes()[i % catalogue().scopes().size()]);
  CHECK_FALSE(checkCreate("n", "", hundred));
  hundred.push_back("contacts.readonly");
  requireInvalid(checkCreate("n", "", hundred), "scopes");

  auto c = command("acct", adminActor("acct"),
                   createAction("n", {"contacts.write", "calendars.readonly", "contacts.write",
                                      "contacts.readonly", "calendars.readonly"}));
  REQUIRE_FALSE(check(c));
  CHECK(std::get<commands::CreateIntegration>(c.action).scopes ==
        std::vector<std::string>{"calendars.readonly", "contacts.readonly", "contacts.write"});

  commands::EditIntegration edit;
  edit.integrationId = "int_1";
  edit.scopes = std::vector<std::string>{"contacts.write", "contacts.write"};
  auto e = command("acct", adminActor("acct"), edit);
  REQUIRE_FALSE(check(e));
  CHECK(*std::get<commands::EditIntegration>(e.action).scopes ==
        std::vector<std::string>{"contacts.write"});
  edit.scopes = std::vector<std::string>{};
  auto emptyEdit = command("acct", adminActor("acct"), edit);
  requireInvalid(check(emptyEdit), "scopes");
}

TEST_CASE("an edit must change something", "[validate]") {
  commands::EditIntegration edit;
  edit.integrationId = "int_1";
  auto e = command("acct", adminActor("acct"), edit);
  auto error = check(e);
  REQUIRE(error);
  CHECK(error->code == Code::invalidArgument);
  edit.description = "";  // an empty description is a change
  auto d = command("acct", adminActor("acct"), edit);
  CHECK_FALSE(check(d));
}

TEST_CASE("ids match ^[A-Za-z0-9._:-]{1,64}$", "[validate]") {
  using commands::isValidId;
  CHECK(isValidId("a"));
  CHECK(isValidId("acct-42.eu:prod_1"));
  CHECK(isValidId(std::string(64, 'x')));
  CHECK(isValidId("ABCxyz019._:-"));
  CHECK_FALSE(isValidId(""));
  CHECK_FALSE(isValidId(std::string(65, 'x')));
  for (std::string bad : {"a b", "a/b", "a\\b", "a@b", "a+b", "a\xC3\xA9", "a\nb", "perm/x",
                          "a\tb", "a,b", "a#b", "a%b"}) {
    INFO("id '" << bad << "'");
    CHECK_FALSE(isValidId(bad));
  }
  CHECK_FALSE(isValidId(std::string("a\0b", 3)));

  // Where validate() applies it, and what it blames.
  auto badAccount = command("a/b", adminActor("a/b"), createAction());
  requireInvalid(check(badAccount), "accountId");
  auto longAccount = command(std::string(65, 'a'), adminActor("x"), createAction());
  requireInvalid(check(longAccount), "accountId");
  auto badUser = command("acct", {"acct", "bob smith", events::Role::admin}, createAction());
  requireInvalid(check(badUser), "X-Actor-User");
  auto badTarget = command("acct", adminActor("acct"), commands::RotateToken{"int/1"});
  requireInvalid(check(badTarget), "integrationId");
  auto emptyTarget = command("acct", adminActor("acct"), commands::DeleteIntegration{""});
  requireInvalid(check(emptyTarget), "integrationId");
  auto badPermUser = command("acct", adminActor("acct"), commands::SetPermission{"", true});
  requireInvalid(check(badPermUser), "userId");
  auto goodPermUser =
      command("acct", adminActor("acct"), commands::SetPermission{std::string(64, 'u'), true});
  CHECK_FALSE(check(goodPermUser));
}

TEST_CASE("request ids are 1-128 printable ASCII characters", "[validate]") {
  using commands::isValidRequestId;
  CHECK(isValidRequestId("req-1"));
  CHECK(isValidRequestId(std::string(128, 'a')));
  CHECK_FALSE(isValidRequestId(std::string(129, 'a')));
  CHECK_FALSE(isValidRequestId(""));
  CHECK_FALSE(isValidRequestId("a\x01" "b"));
  CHECK_FALSE(isValidRequestId("caf\xc3\xa9"));
}

TEST_CASE("idempotency keys are 1-128 printable ASCII characters", "[validate]") {
  using commands::isValidIdempotencyKey;
  CHECK(isValidIdempotencyKey("k"));
  CHECK(isValidIdempotencyKey(std::string(128, 'k')));
  CHECK(isValidIdempotencyKey(" "));
  CHECK(isValidIdempotencyKey("~!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}"));
  CHECK(isValidIdempotencyKey("550e8400-e29b-41d4-a716-446655440000"));
  CHECK_FALSE(isValidIdempotencyKey(""));
  CHECK_FALSE(isValidIdempotencyKey(std::string(129, 'k')));
  CHECK_FALSE(isValidIdempotencyKey("tab\there"));
  CHECK_FALSE(isValidIdempotencyKey("del\x7f"));
  CHECK_FALSE(isValidIdempotencyKey("caf\xC3\xA9"));
  CHECK_FALSE(isValidIdempotencyKey(std::string("nul\0", 4)));
  CHECK_FALSE(isValidIdempotencyKey("new\nline"));

  auto c = command("acct", adminActor("acct"), createAction());
  c.idempotency = idemKey(std::string(129, 'k'), "req");
  requireInvalid(check(c), "Idempotency-Key");
  c.idempotency = idemKey(std::string(128, 'k'), "req");
  CHECK_FALSE(check(c));
}

TEST_CASE("UTF-8 validation rejects every malformed form", "[validate]") {
  using commands::isValidUtf8;
  size_t chars = 0;
  CHECK(isValidUtf8("", &chars));
  CHECK(chars == 0);
  CHECK(isValidUtf8("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x94\x91", &chars));
  CHECK(chars == 4);
  CHECK(isValidUtf8("\xF4\x8F\xBF\xBF"));   // U+10FFFF
  CHECK(isValidUtf8("\xED\x9F\xBF"));       // U+D7FF, just below the surrogates
  CHECK(isValidUtf8("\xEE\x80\x80"));       // U+E000, just above them
  const char* bad[] = {
      "\x80",              // lone continuation byte
      "\xBF",
      "\xC3",              // truncated two-byte form
      "\xE2\x82",          // truncated three-byte form
      "\xF0\x9F\x94",      // truncated four-byte form
      "\xC0\xAF",          // overlong '/'
      "\xC1\xBF",          // overlong
      "\xE0\x80\xAF",      // overlong
      "\xF0\x80\x80\xAF",  // overlong
      "\xED\xA0\x80",      // U+D800 surrogate
      "\xED\xBF\xBF",      // U+DFFF surrogate
      "\xF4\x90\x80\x80",  // U+110000
      "\xF5\x80\x80\x80",  // lead byte beyond Unicode
      "\xF8\x88\x80\x80\x80",  // five-byte form
      "\xFE", "\xFF",
      "\xC3\x28",          // bad continuation
      "a\xE2\x28\xA1",
  };
  for (const char* s : bad) {
    INFO("bytes " << pitlog::events::toHex(std::string_view(s)));
    CHECK_FALSE(isValidUtf8(s));
  }
  requireInvalid(checkCreate("caf\xC3"), "name");
  requireInvalid(checkCreate("ok", "caf\xED\xA0\x80"), "description");
}

TEST_CASE("only the scheduler may expire elapsed windows, and it may do nothing else",
          "[validate]") {
  auto byUser = command("acct", adminActor("acct"), commands::ExpireElapsedWindow{"int_1"});
  auto e = check(byUser);
  REQUIRE(e);
  CHECK(e->code == Code::permissionDenied);
  auto bySystem = command("acct", events::Actor::system(), commands::ExpireElapsedWindow{"int_1"});
  CHECK_FALSE(check(bySystem));
  auto systemCreates = command("acct", events::Actor::system(), createAction());
  auto e2 = check(systemCreates);
  REQUIRE(e2);
  CHECK(e2->code == Code::permissionDenied);
}

TEST_CASE("request ids are at most 128 characters", "[validate]") {
  auto c = command("acct", adminActor("acct"), createAction());
  c.requestId = std::string(128, 'r');
  CHECK_FALSE(check(c));
  c.requestId = std::string(129, 'r');
  requireInvalid(check(c), "X-Request-Id");
}

TEST_CASE("request ids are printable ASCII, as over HTTP", "[validate]") {
  auto c = command("acct", adminActor("acct"), createAction());
  c.requestId = "line\nbreak";
  requireInvalid(check(c), "X-Request-Id");
  c.requestId = std::string("nul\0", 4);
  requireInvalid(check(c), "X-Request-Id");
}

TEST_CASE("control characters in every text field are refused by that field's name, U+0000 "
          "included", "[validate]") {
  const std::string nul("a\0b", 3);
  requireInvalid(checkCreate(nul), "name");
  requireInvalid(checkCreate("n", nul), "description");
  requireInvalid(checkCreate("n", "bell\x07"), "description");
  requireInvalid(checkCreate("n", "", {std::string("contacts.readonly\0", 18)}), "scopes");
  requireInvalid(checkCreate("n", "", {"contacts.readonly\x1b"}), "scopes");
  // description keeps line breaks and tabs, and nothing else.
  CHECK_FALSE(checkCreate("n", "one\r\ntwo\tthree"));
  auto edit = command("acct", adminActor("acct"), commands::EditIntegration{nul, std::nullopt, {}, {}});
  requireInvalid(check(edit), "integrationId");
  auto setPermission = command("acct", adminActor("acct"), commands::SetPermission{nul, true});
  requireInvalid(check(setPermission), "userId");
  auto c = command(nul, adminActor(nul), createAction());
  requireInvalid(check(c), "accountId");
}

TEST_CASE("If-Match lists at most 100 versions, over either protocol", "[validate]") {
  auto c = command("acct", adminActor("acct"), createAction());
  c.ifMatch = commands::IfMatch{};
  for (uint32_t v = 1; v <= commands::kMaxIfMatchVersions; ++v) c.ifMatch->versions.push_back(v);
  CHECK_FALSE(check(c));
  c.ifMatch->versions.push_back(101);
  requireInvalid(check(c), "If-Match");
}

TEST_CASE("query ranges: staleAfterDays 0-36500 and audit after and limit and since before until",
          "[validate]") {
  CHECK_FALSE(commands::validate(commands::ListQuery{false, 36500, std::nullopt}));
  CHECK_FALSE(commands::validate(commands::ListQuery{true, 0, std::nullopt}));
  requireInvalid(commands::validate(commands::ListQuery{false, 36501, std::nullopt}),
                 "staleAfterDays");
  CHECK_FALSE(commands::validate(commands::ListQuery{false, std::nullopt, 36500}));
  CHECK_FALSE(commands::validate(commands::ListQuery{false, std::nullopt, 0}));
  requireInvalid(commands::validate(commands::ListQuery{false, std::nullopt, 36501}),
                 "unusedForDays");

  commands::AuditQuery q;
  CHECK_FALSE(commands::validate(q));
  q.after = INT64_MAX;
  CHECK_FALSE(commands::validate(q));
  q.after = uint64_t{1} << 63;
  requireInvalid(commands::validate(q), "after");
  q = {};
  q.limit = 0;
  requireInvalid(commands::validate(q), "limit");
  q.limit = 1001;
  requireInvalid(commands::validate(q), "limit");
  q = {};
  q.since = 2000;
  q.until = 2000;
  CHECK_FALSE(commands::validate(q));
  q.since = 2001;
  requireInvalid(commands::validate(q), "since");
}

TEST_CASE("the idempotency fingerprint is the command's: equivalent requests share it, others "
          "do not", "[validate]") {
  auto fingerprint = [](commands::Action action) {
    auto c = command("acct", adminActor("acct"), std::move(action));
    c.idempotency = commands::IdempotencyKey{"k", {}};
    REQUIRE_FALSE(check(c));
    return c.idempotency->fingerprint;
  };
  using commands::CreateIntegration;
  using commands::EditIntegration;
  const auto base = fingerprint(CreateIntegration{"CRM", "", {"contacts.readonly", "contacts.write"}});
  CHECK(base != events::Digest{});
  // Normalised first: surrounding spaces, scope order and duplicates do not make another request.
  CHECK(fingerprint(CreateIntegration{"  CRM ", "", {"contacts.write", "contacts.readonly",
                                                      "contacts.write"}}) == base);
  CHECK(fingerprint(CreateIntegration{"CRM2", "", {"contacts.readonly", "contacts.write"}}) != base);
  CHECK(fingerprint(CreateIntegration{"CRM", "d", {"contacts.readonly", "contacts.write"}}) != base);
  CHECK(fingerprint(CreateIntegration{"CRM", "", {"contacts.readonly"}}) != base);
  // An edit's absent field is not its empty value; parts cannot run into each other.
  CHECK(fingerprint(EditIntegration{"int_1", std::string("n"), std::string(), std::nullopt}) !=
        fingerprint(EditIntegration{"int_1", std::string("n"), std::nullopt, std::nullopt}));
  CHECK(fingerprint(EditIntegration{"int_1", std::string("ab"), std::string("c"), std::nullopt}) !=
        fingerprint(EditIntegration{"int_1", std::string("a"), std::string("bc"), std::nullopt}));
  // Operations and targets differ.
  CHECK(fingerprint(commands::CancelRotation{"int_1"}) !=
        fingerprint(commands::ExpireRotationNow{"int_1"}));
  CHECK(fingerprint(commands::DeleteIntegration{"int_1"}) !=
        fingerprint(commands::DeleteIntegration{"int_2"}));
  CHECK(fingerprint(commands::RotateToken{"int_1", commands::ExpireMode::later}) !=
        fingerprint(commands::RotateToken{"int_1", commands::ExpireMode::now}));
  // A fingerprint a caller set (a test modelling another request) is kept.
  auto c = command("acct", adminActor("acct"), commands::DeleteIntegration{"int_1"});
  c.idempotency = commands::IdempotencyKey{"k", events::sha256("other")};
  REQUIRE_FALSE(check(c));
  CHECK(c.idempotency->fingerprint == events::sha256("other"));
}

TEST_CASE("unusedForDays keeps the live integrations none of whose valid tokens was used in the "
          "last N days, and a never-used token counts from its issue time",
          "[validate]") {
  constexpr int64_t kDay = 24LL * 3600 * 1000;
  const int64_t now = 1'900'000'000'000;
  auto view = [&](const std::string& id, std::vector<pitlog::projections::TokenRecord> tokens,
                  bool deleted = false) {
    pitlog::projections::IntegrationView v;
    v.id = id;
    v.version = 1;
    v.deleted = deleted;
    v.tokens = std::move(tokens);
    return v;
  };
  auto token = [](uint8_t n, int64_t issuedAt, std::optional<int64_t> expiresAt = std::nullopt) {
    pitlog::projections::TokenRecord t;
    t.digest[0] = n;
    t.issuedAt = issuedAt;
    t.expiresAt = expiresAt;
    t.state = expiresAt ? pitlog::projections::TokenState::previous
                        : pitlog::projections::TokenState::current;
    return t;
  };
  // Token n's last use, by its first byte: 1 used 40 days ago, 2 used an hour ago, others never.
  auto lastUsed = [&](const pitlog::events::Digest& d) -> std::optional<int64_t> {
    if (d[0] == 1) return now - 40 * kDay;
    if (d[0] == 2) return now - 3'600'000;
    return std::nullopt;
  };
  std::vector<pitlog::projections::IntegrationView> views = {
      view("used-long-ago", {token(1, now - 100 * kDay)}),
      view("used-lately", {token(2, now - 100 * kDay)}),
      view("never-used-old", {token(3, now - 31 * kDay)}),
      view("never-used-new", {token(4, now - 29 * kDay)}),
      // An old current token, and a previous one used lately that is still valid: used lately.
      view("previous-used-lately", {token(3, now - 50 * kDay), token(2, now - 60 * kDay, now + kDay)}),
      // The previous one used lately has expired: only the old current one counts.
      view("previous-expired", {token(3, now - 50 * kDay), token(2, now - 60 * kDay, now - 1)}),
      view("no-valid-token", {}),
      view("deleted", {token(3, now - 100 * kDay)}, true),
  };
  commands::keepUnused(views, now, 30, lastUsed);
  std::vector<std::string> ids;
  for (const auto& v : views) ids.push_back(v.id);
  CHECK(ids == std::vector<std::string>{"used-long-ago", "never-used-old", "previous-expired",
                                        "no-valid-token"});
}
