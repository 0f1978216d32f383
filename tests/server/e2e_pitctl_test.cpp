// pitctl driving the real pitd through a whole lifecycle, in-process with argv arrays (its main is
// three lines over runPitctl). Every token it prints is checked through introspection; tokens never
// reach test output.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "pitctl/pitctl.h"
#include "support/test_server.h"

using namespace pitlog::testing;

namespace {

struct Run {
  int status = -1;
  std::string out, err;
};

class Pitctl {
 public:
  explicit Pitctl(TestServer& s) : s_(s) {}

  // Runs pitctl with the connection and identity options first, then `args`.
  Run operator()(std::vector<std::string> args, const std::string& user = "alice",
                 const std::string& role = "admin") {
    std::vector<std::string> argv = {"pitctl",
                                     "--url", "http://127.0.0.1:" + std::to_string(s_.port()),
                                     "--key-file", s_.dataDir() + "/service.key",
                                     "--account", "acme", "--user", user, "--role", role};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<const char*> raw;
    for (const auto& a : argv) raw.push_back(a.c_str());
    std::ostringstream out, err;
    Run r;
    r.status = pitlog::tools::runPitctl(static_cast<int>(raw.size()), raw.data(), out, err);
    r.out = out.str();
    r.err = err.str();
    return r;
  }

 private:
  TestServer& s_;
};

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("pitctl drives a whole lifecycle against the real pitd", "[pitctl]") {
  TestServer s;
  Pitctl pitctl(s);

  auto scopes = pitctl({"scopes"});
  REQUIRE(scopes.status == 0);
  CHECK(contains(scopes.out, "contacts.readonly\n"));

  // Create, for people: the integration, then the token once under its warning.
  auto created = pitctl({"create", "--name", "Zapier", "--description", "CRM sync", "--scope",
                         "contacts.write", "--scope", "contacts.readonly"});
  REQUIRE(created.status == 0);
  CHECK(contains(created.out, "shown ONCE"));
  CHECK(contains(created.out, "scopes:      contacts.readonly contacts.write"));
  const std::string id = Json::parse(s.get(integrationsPath("acme")).body)["integrations"][0]["id"].str();
  auto tokenLine = created.out.substr(created.out.rfind("\n  pit_") + 3);
  const std::string t1 = tokenLine.substr(0, tokenLine.find('\n'));
  CHECK(s.active(t1));

  // Create, for scripts: the API's JSON as is.
  auto scripted = pitctl({"--json", "create", "--name", "Second", "--scope", "contacts.readonly"});
  REQUIRE(scripted.status == 0);
  CHECK(Json::parse(scripted.out)["integration"]["name"].str() == "Second");
  CHECK(s.active(Json::parse(scripted.out)["token"].str()));

  auto introspected = pitctl({"--json", "introspect", t1, "--scope", "contacts.write"});
  REQUIRE(introspected.status == 0);
  CHECK(Json::parse(introspected.out)["active"].boolean());
  CHECK(Json::parse(introspected.out)["allowed"].boolean());

  auto listed = pitctl({"list"});
  REQUIRE(listed.status == 0);
  CHECK(contains(listed.out, id));
  CHECK(contains(listed.out, "Zapier"));
  CHECK(contains(listed.out, "Second"));

  // Edit with If-Match: the right version passes, a stale one is the API's 412.
  auto edited = pitctl({"--if-match", "1", "edit", id, "--name", "Zapier 2"});
  REQUIRE(edited.status == 0);
  CHECK(contains(edited.out, "name:        Zapier 2"));
  auto stale = pitctl({"--if-match", "1", "edit", id, "--name", "Zapier 3"});
  CHECK(stale.status == 1);
  CHECK(contains(stale.err, "version_mismatch (HTTP 412)"));

  // Rotate later: both tokens valid; cancel: the new one invalid at once.
  auto rotated = pitctl({"--json", "rotate", id, "--expire", "later"});
  REQUIRE(rotated.status == 0);
  const std::string t2 = Json::parse(rotated.out)["token"].str();
  CHECK(s.active(t1));
  CHECK(s.active(t2));
  REQUIRE(pitctl({"cancel-rotation", id}).status == 0);
  CHECK(s.active(t1));
  CHECK_FALSE(s.active(t2));
  auto again = pitctl({"cancel-rotation", id});
  CHECK(again.status == 1);
  CHECK(contains(again.err, "conflict (HTTP 409)"));

  // Rotate later, then expire now: only the new token.
  auto rotated3 = pitctl({"--json", "rotate", id, "--expire", "later"});
  REQUIRE(rotated3.status == 0);
  const std::string t3 = Json::parse(rotated3.out)["token"].str();
  REQUIRE(pitctl({"expire-now", id}).status == 0);
  CHECK_FALSE(s.active(t1));
  CHECK(s.active(t3));

  // Rotate now: the old token invalid at once.
  auto rotated4 = pitctl({"--json", "rotate", id, "--expire", "now"});
  REQUIRE(rotated4.status == 0);
  const std::string t4 = Json::parse(rotated4.out)["token"].str();
  CHECK_FALSE(s.active(t3));
  CHECK(s.active(t4));

  auto history = pitctl({"events", id});
  REQUIRE(history.status == 0);
  for (const char* type : {"Created", "ScopesUpdated", "RotationStarted", "RotationCancelled",
                           "Expired"}) {
    CHECK(contains(history.out, type));
  }
  auto page = pitctl({"audit", "--limit", "2"});
  REQUIRE(page.status == 0);
  CHECK(contains(page.out, "(more: --after"));

  // Permissions: a grant lets a plain user manage; only admins set them.
  auto denied = pitctl({"list"}, "bob", "user");
  CHECK(denied.status == 1);
  CHECK(contains(denied.err, "permission_denied (HTTP 403)"));
  REQUIRE(pitctl({"permission", "set", "bob", "--allowed", "true"}).status == 0);
  auto granted = pitctl({"permission", "get", "bob"});
  REQUIRE(granted.status == 0);
  CHECK(contains(granted.out, "source:  grant"));
  CHECK(pitctl({"list"}, "bob", "user").status == 0);

  // Delete: gone from the views, every token invalid, history kept.
  auto deleted = pitctl({"delete", id});
  REQUIRE(deleted.status == 0);
  CHECK(contains(deleted.out, "deleted " + id));
  auto gone = pitctl({"get", id});
  CHECK(gone.status == 1);
  CHECK(contains(gone.err, "not_found (HTTP 404)"));
  for (const auto* token : {&t1, &t2, &t3, &t4}) CHECK_FALSE(s.active(*token));
  CHECK(pitctl({"events", id}).status == 0);

  // No answer but the issuing one printed a token, and errors never do.
  for (const auto& text : {listed.out, history.out, page.out, stale.err, gone.err, granted.out}) {
    CHECK_FALSE((contains(text, t1) || contains(text, t2) || contains(text, t3) ||
                 contains(text, t4)));
  }
}

TEST_CASE("pitctl usage errors exit 2 and name the problem", "[pitctl]") {
  TestServer s;
  Pitctl pitctl(s);
  auto none = pitctl({});
  CHECK(none.status == 2);
  CHECK(contains(none.err, "usage: pitctl"));
  auto noExpire = pitctl({"rotate", "int_x"});
  CHECK(noExpire.status == 2);
  CHECK(contains(noExpire.err, "--expire"));
  auto unknown = pitctl({"frobnicate"});
  CHECK(unknown.status == 2);
  CHECK(contains(unknown.err, "unknown command"));
  auto help = pitctl({"--help"});
  CHECK(help.status == 0);
  CHECK(contains(help.out, "Examples:"));

  const char* unreachable[] = {"pitctl", "--url", "http://127.0.0.1:1", "--key-file",
                               "/dev/null", "scopes"};
  std::ostringstream out, err;
  CHECK(pitlog::tools::runPitctl(6, unreachable, out, err) == 2);
}

TEST_CASE("pitctl revoke kills tokens by value (one or a batch) and list shows last use",
          "[pitctl]") {
  TestServer s;
  Pitctl pitctl(s);
  const Created a = s.create("acme");
  const Created b = s.create("acme");
  const Created c = s.create("acme");

  auto listed = pitctl({"list"});
  REQUIRE(listed.status == 0);
  CHECK(contains(listed.out, "LAST USED"));
  CHECK(contains(listed.out, "never"));
  REQUIRE(s.active(a.token));
  auto used = pitctl({"--json", "list", "--unused-for-days", "1"});
  REQUIRE(used.status == 0);
  CHECK(Json::parse(used.out)["integrations"].size() == 0);
  auto got = pitctl({"get", a.id});
  REQUIRE(got.status == 0);
  CHECK(contains(got.out, "last used 20"));  // a time, not "never"

  auto one = pitctl({"revoke", a.token, "--source", "a chat log"});
  INFO(redacted(one.err));
  REQUIRE(one.status == 0);
  CHECK(contains(one.out, "revoked 1 token"));
  CHECK_FALSE(contains(one.out, "pit_"));
  CHECK_FALSE(s.active(a.token));
  auto many = pitctl({"revoke", b.token, c.token, "pit_unknown"});
  REQUIRE(many.status == 0);
  CHECK(contains(many.out, "revoked 3 tokens"));
  CHECK_FALSE(s.active(b.token));
  CHECK_FALSE(s.active(c.token));
  auto listedAfter = pitctl({"list"});
  CHECK(contains(listedAfter.out, "-"));

  auto none = pitctl({"revoke"});
  CHECK(none.status == 2);
  auto tooLong = pitctl({"revoke", "x", "--source", std::string(501, 's')});
  CHECK(tooLong.status == 1);
  CHECK(contains(tooLong.err, "[field: source]"));
}

TEST_CASE("pitctl webhooks add, list, deliveries and remove against the real pitd - the secret is "
          "printed once, on creation", "[pitctl]") {
  TestServer s;
  Pitctl pitctl(s);
  auto added = pitctl({"webhooks", "add", "ops", "--target", "https://hooks.example.com/pitlog",
                       "--event", "token.rotated", "--event", "rotation.window_ending"});
  INFO(added.err);
  REQUIRE(added.status == 0);
  CHECK(contains(added.out, "secret:  whsec_"));
  CHECK(contains(added.out, "rotation.window_ending, token.rotated"));
  auto replaced = pitctl({"webhooks", "add", "ops", "--target", "https://hooks.example.com/v2",
                          "--event", "token.rotated"});
  REQUIRE(replaced.status == 0);
  CHECK_FALSE(contains(replaced.out, "whsec_"));
  auto listed = pitctl({"webhooks", "list"});
  REQUIRE(listed.status == 0);
  CHECK(contains(listed.out, "https://hooks.example.com/v2"));
  auto deliveries = pitctl({"webhooks", "deliveries", "ops"});
  REQUIRE(deliveries.status == 0);
  CHECK(contains(deliveries.out, "state: "));
  auto refused = pitctl({"webhooks", "add", "local", "--target", "https://127.0.0.1/x", "--event",
                         "token.rotated"});
  CHECK(refused.status == 1);
  CHECK(contains(refused.err, "[field: url]"));
  auto missing = pitctl({"webhooks", "add", "x", "--target", "https://example.com/x"});
  CHECK(missing.status == 2);
  REQUIRE(pitctl({"webhooks", "remove", "ops"}).status == 0);
  auto gone = pitctl({"webhooks", "deliveries", "ops"});
  CHECK(gone.status == 1);
  CHECK(contains(gone.err, "not_found"));
}
