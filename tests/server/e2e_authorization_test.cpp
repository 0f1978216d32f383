// Deny by default, against the real pitd: every route but the two open probes answers 401 to a
// request without a valid service key, however its path is spelt (the review's bypass was
// `/%76%31/...`: the key check read the raw target while routing matched the decoded one), and
// such a request appends nothing.
#include <catch2/catch.hpp>

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "support/test_server.h"

using namespace pitlog::testing;

namespace {

struct RouteCase {
  std::string method;
  std::string path;
  std::string body;  // JSON, sent with Content-Type: application/json when not empty
};

std::string percentEncodeAll(const std::string& segment) {
  std::string out;
  char buffer[4];
  for (unsigned char c : segment) {
    std::snprintf(buffer, sizeof buffer, "%%%02X", c);
    out += buffer;
  }
  return out;
}

std::vector<std::string> segmentsOf(const std::string& path) {
  std::vector<std::string> out;
  size_t at = 1;
  while (at <= path.size()) {
    size_t slash = path.find('/', at);
    if (slash == std::string::npos) slash = path.size();
    out.push_back(path.substr(at, slash - at));
    at = slash + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& segments, const std::string& separator = "/") {
  std::string out;
  for (const auto& s : segments) out += separator + s;
  return out;
}

std::string upper(std::string s) {
  for (char& c : s) c = char(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Every spelling of `path` a client, a proxy or an attacker might send: the canonical one, each
// percent-encoding of letters and slashes, dot segments, doubled and trailing slashes, case
// changes, `;params`, and the absolute form. Each names the same route, another route, or none.
std::vector<std::string> spellingsOf(const std::string& path, int port) {
  const auto segments = segmentsOf(path);
  std::vector<std::string> out = {path};
  std::vector<std::string> encoded;
  for (const auto& s : segments) encoded.push_back(percentEncodeAll(s));
  out.push_back(join(encoded));
  for (size_t i = 0; i < segments.size(); ++i) {  // one segment encoded, and one letter of it
    auto one = segments;
    one[i] = percentEncodeAll(segments[i]);
    out.push_back(join(one));
    auto first = segments;
    first[i] = percentEncodeAll(segments[i].substr(0, 1)) + segments[i].substr(1);
    out.push_back(join(first));
    auto lowerHex = first;
    for (char& c : lowerHex[i]) c = char(std::tolower(static_cast<unsigned char>(c)));
    out.push_back(join(lowerHex));
  }
  out.push_back("/" + segments[0] + "%2F" + path.substr(segments[0].size() + 2));
  out.push_back("/" + segments[0] + "%2f" + path.substr(segments[0].size() + 2));
  std::string allSlashesEncoded = "/" + segments[0];
  for (size_t i = 1; i < segments.size(); ++i) allSlashesEncoded += "%2F" + segments[i];
  out.push_back(allSlashesEncoded);
  out.push_back("/" + path);                    // //v1/...
  out.push_back(join(segments, "//"));          // every slash doubled
  out.push_back(path + "/");                    // trailing slash
  out.push_back("/./" + path.substr(1));        // dot segments
  out.push_back("/" + segments[0] + "/." + path.substr(segments[0].size() + 1));
  out.push_back("/x/.." + path);
  out.push_back("/" + segments[0] + "/x/.." + path.substr(segments[0].size() + 1));
  out.push_back("/%2E" + path);
  out.push_back("/x/%2E%2E" + path);
  out.push_back(upper(path));                   // case changes
  out.push_back("/" + upper(segments[0]) + path.substr(segments[0].size() + 1));
  out.push_back("/" + segments[0] + ";x" + path.substr(segments[0].size() + 1));  // ;params
  out.push_back(path + ";x");
  out.push_back(path + "%00");
  out.push_back(path + "#frag");
  out.push_back("http://127.0.0.1:" + std::to_string(port) + path);  // absolute form
  out.push_back("http://127.0.0.1:" + std::to_string(port) + join(encoded));
  return out;
}

// Credentials that hold no key, in every form pitd reads: none, a wrong Bearer key, a wrong
// client secret in Basic (base64("mallory:not"), and with the scheme in other cases) and in a
// form body, and a form body with a client id but no secret.
struct WrongCredentials {
  const char* name;
  Headers headers;
  const char* formBody = nullptr;  // sent as application/x-www-form-urlencoded instead of JSON
  bool clientSecret = false;       // a client-secret form: Basic's challenge where one is read
};
const std::vector<WrongCredentials> kWrongCredentials = {
    {"none", {}},
    {"wrong Bearer", {{"Authorization", "Bearer not-the-key"}}},
    {"wrong Basic", {{"Authorization", "Basic bWFsbG9yeTpub3Q="}}, nullptr, true},
    {"wrong BASIC", {{"Authorization", "BASIC bWFsbG9yeTpub3Q="}}, nullptr, true},
    {"wrong form secret", {}, "token=x&client_id=mallory&client_secret=not-the-key", true},
    {"form id alone", {}, "token=x&client_id=mallory", true},
};


}  // namespace

TEST_CASE("every route but /healthz and /metrics answers 401 without a key, however its path is spelt, and appends nothing") {
  TestServer s;
  const Created victim = s.create("acme");
  const std::string id = victim.id;
  const std::string base = "/v1/accounts/acme";
  const std::vector<RouteCase> routes = {
      {"GET", "/v1/scopes", ""},
      {"POST", "/v1/introspect", R"({"token":")" + victim.token + R"("})"},
      {"POST", "/v1/revoke", R"({"token":"pit_unknown"})"},
      {"POST", "/v1/revoke/batch", R"({"tokens":["pit_unknown"]})"},
      {"POST", base + "/integrations", R"({"name":"Evil","scopes":["contacts.readonly"]})"},
      {"GET", base + "/integrations", ""},
      {"GET", base + "/integrations/" + id, ""},
      {"PATCH", base + "/integrations/" + id, R"({"name":"Renamed"})"},
      {"DELETE", base + "/integrations/" + id, ""},
      {"POST", base + "/integrations/" + id + "/rotate", R"({"expire":"now"})"},
      {"POST", base + "/integrations/" + id + "/rotation/cancel", ""},
      {"POST", base + "/integrations/" + id + "/rotation/expire-now", ""},
      {"GET", base + "/integrations/" + id + "/events", ""},
      {"GET", base + "/audit", ""},
      {"PUT", base + "/users/mallory/permission", R"({"allowed":true})"},
      {"GET", base + "/users/mallory/permission", ""},
      {"POST", base + "/console/links", ""},
  };
  size_t requests = 0;
  for (const auto& route : routes) {
    // The canonical spelling with the key is not refused: the table names real routes. (As
    // mallory, an admin by default, the mutations apply; the unkeyed ones after them must not.)
    auto with = s.send(route.method, route.path, route.body, Actor{"mallory", "admin"});
    INFO(route.method << " " << route.path << " with the key -> " << with.status);
    CHECK(with.status != 401);
    const uint64_t seqAfterKeyed = s.lastSeq();

    for (const auto& target : spellingsOf(route.path, s.port())) {
      for (const WrongCredentials& wrong : kWrongCredentials) {
        Headers headers = wrong.headers;
        headers.push_back({"X-Actor-User", "mallory"});
        headers.push_back({"X-Actor-Role", "admin"});
        std::string body = route.body;
        if (wrong.formBody) {
          body = wrong.formBody;
          headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
        } else if (!route.body.empty()) {
          headers.push_back({"Content-Type", "application/json"});
        }
        HttpResponse r = httpRequest(s.port(), route.method, target, headers, body);
        ++requests;
        INFO(route.method << " " << target << " (" << wrong.name << ") -> " << r.status << " "
                          << redacted(r.body));
        CHECK(r.status == 401);
        // A client-secret failure on a route that takes client secrets is Basic's challenge;
        // everything else, Bearer's.
        const std::string challenge = r.header("www-authenticate");
        if (wrong.clientSecret) {
          CHECK((challenge.rfind("Bearer", 0) == 0 || challenge == "Basic realm=\"pitlog\""));
        } else {
          CHECK(challenge.rfind("Bearer", 0) == 0);
        }
        CHECK(r.header("cache-control") == "no-store");
        CHECK(r.body.find("\"token\"") == std::string::npos);
      }
    }
    INFO(route.method << " " << route.path << ": unkeyed spellings appended nothing");
    CHECK(s.lastSeq() == seqAfterKeyed);
  }
  CHECK(requests > routes.size() * kWrongCredentials.size() * 30);
}

TEST_CASE("unkeyed requests alone append nothing and read nothing, whatever the spelling") {
  TestServer s;
  const Created victim = s.create("acme");
  const uint64_t before = s.lastSeq();
  for (const std::string& target :
       {std::string("/%76%31/accounts/acme/integrations"), std::string("/%761/accounts/acme/integrations"),
        std::string("/v1/accounts/acme/%69ntegrations"), std::string("/v1/./accounts/acme/integrations"),
        std::string("/V1/accounts/acme/integrations")}) {
    HttpResponse r = httpRequest(
        s.port(), "POST", target,
        {{"X-Actor-User", "mallory"}, {"X-Actor-Role", "admin"}, {"Content-Type", "application/json"}},
        R"({"name":"Evil","scopes":["contacts.readonly"]})");
    INFO(target << " -> " << r.status);
    CHECK(r.status == 401);
    HttpResponse list = httpRequest(s.port(), "GET", target,
                                    {{"X-Actor-User", "mallory"}, {"X-Actor-Role", "admin"}});
    CHECK(list.status == 401);
    CHECK(list.body.find(victim.id) == std::string::npos);
  }
  CHECK(s.lastSeq() == before);
}

TEST_CASE("the open probes answer without a key and carry no no-store - an unknown path without a key is 401, not 404") {
  TestServer s;
  auto health = httpRequest(s.port(), "GET", "/healthz");
  CHECK(health.status == 200);
  CHECK_FALSE(health.has("cache-control"));
  CHECK(httpRequest(s.port(), "GET", "/%68ealthz").status == 200);  // the same route
  CHECK(httpRequest(s.port(), "GET", "/metrics").status == 200);
  auto unknown = httpRequest(s.port(), "GET", "/no/such/path");
  CHECK(unknown.status == 401);
  CHECK(unknown.header("cache-control") == "no-store");
  auto unknownKeyed = s.get("/no/such/path", std::nullopt);
  CHECK(unknownKeyed.status == 404);
}

TEST_CASE("the right key as a client secret (Basic, form) opens /v1/introspect and no other route but /v1/revoke") {
  TestServer s;
  const Created victim = s.create("acme");
  const std::string id = victim.id;
  const std::string base = "/v1/accounts/acme";
  const std::string basic = "Basic " + basicAuthEncoding("gateway-1:" + s.key());
  const std::string basicLower = "basic " + basicAuthEncoding("gateway-1:" + s.key());
  const std::string form = "client_id=gateway-1&client_secret=" + s.key();

  // Introspection answers in each form, the form body's token read after authentication.
  for (const std::string& scheme : {basic, basicLower}) {
    HttpResponse r = httpRequest(s.port(), "POST", "/v1/introspect",
                                 {{"Authorization", scheme},
                                  {"Content-Type", "application/x-www-form-urlencoded"}},
                                 "token=" + victim.token + "&token_type_hint=access_token");
    INFO(redacted(r.body));
    CHECK(r.status == 200);
    CHECK(r.body.find("\"active\":true") != std::string::npos);
  }
  HttpResponse posted = httpRequest(s.port(), "POST", "/v1/introspect",
                                    {{"Content-Type", "application/x-www-form-urlencoded"}},
                                    "token=" + victim.token + "&" + form);
  INFO(redacted(posted.body));
  CHECK(posted.status == 200);
  CHECK(posted.body.find("\"active\":true") != std::string::npos);
  // The client id is logged (and the key never is).
  s.stop();
  const std::string log = s.log();
  CHECK(log.find("gateway-1") != std::string::npos);
  CHECK(log.find(s.key()) == std::string::npos);
  s.start();

  // A wrong secret in Basic is Basic's challenge on introspect; a wrong Bearer key, Bearer's.
  HttpResponse wrongBasic = httpRequest(s.port(), "POST", "/v1/introspect",
                                        {{"Authorization", "Basic " + basicAuthEncoding("gw:" + s.key() + "x")},
                                         {"Content-Type", "application/json"}},
                                        R"({"token":"x"})");
  CHECK(wrongBasic.status == 401);
  CHECK(wrongBasic.header("www-authenticate") == "Basic realm=\"pitlog\"");
  // A client id outside the id pattern is refused even with the right secret.
  HttpResponse badId = httpRequest(s.port(), "POST", "/v1/introspect",
                                   {{"Authorization", "Basic " + basicAuthEncoding("a/b:" + s.key())},
                                    {"Content-Type", "application/json"}},
                                   R"({"token":"x"})");
  CHECK(badId.status == 401);
  // The key in a JSON body is no credential.
  HttpResponse json = httpRequest(s.port(), "POST", "/v1/introspect",
                                  {{"Content-Type", "application/json"}},
                                  R"({"token":"x","client_id":"gw","client_secret":")" + s.key() + "\"}");
  CHECK(json.status == 401);
  CHECK(json.header("www-authenticate") == "Bearer");

  const std::vector<RouteCase> others = {
      {"GET", "/v1/scopes", ""},
      {"POST", "/v1/revoke/batch", R"({"tokens":[")" + victim.token + R"("]})"},
      {"POST", base + "/integrations", R"({"name":"Evil","scopes":["contacts.readonly"]})"},
      {"GET", base + "/integrations", ""},
      {"GET", base + "/integrations/" + id, ""},
      {"PATCH", base + "/integrations/" + id, R"({"name":"Renamed"})"},
      {"DELETE", base + "/integrations/" + id, ""},
      {"POST", base + "/integrations/" + id + "/rotate", R"({"expire":"now"})"},
      {"POST", base + "/integrations/" + id + "/rotation/cancel", ""},
      {"POST", base + "/integrations/" + id + "/rotation/expire-now", ""},
      {"GET", base + "/integrations/" + id + "/events", ""},
      {"GET", base + "/audit", ""},
      {"PUT", base + "/users/mallory/permission", R"({"allowed":true})"},
      {"GET", base + "/users/mallory/permission", ""},
      {"POST", "/v1/no-such-route", ""},
  };
  const uint64_t before = s.lastSeq();
  for (const auto& route : others) {
    const Headers actor = {{"X-Actor-User", "mallory"}, {"X-Actor-Role", "admin"}};
    Headers withBasic = actor;
    withBasic.push_back({"Authorization", basic});
    if (!route.body.empty()) withBasic.push_back({"Content-Type", "application/json"});
    HttpResponse r = httpRequest(s.port(), route.method, route.path, withBasic, route.body);
    INFO(route.method << " " << route.path << " with the key in Basic -> " << r.status);
    CHECK(r.status == 401);
    CHECK(r.header("www-authenticate") == "Bearer");

    Headers withForm = actor;
    withForm.push_back({"Content-Type", "application/x-www-form-urlencoded"});
    HttpResponse f = httpRequest(s.port(), route.method == "GET" ? "POST" : route.method,
                                 route.path, withForm, form);
    INFO(route.method << " " << route.path << " with the key in a form -> " << f.status);
    CHECK(f.status == 401);
    CHECK(f.header("www-authenticate") == "Bearer");
  }
  CHECK(s.lastSeq() == before);
  CHECK(s.active(victim.token));
}

TEST_CASE("a console sign-in link works once and sets a strict, HttpOnly session cookie") {
  TestServer s;
  HttpResponse link = s.send("POST", "/v1/accounts/acme/console/links", "", kAdmin);
  REQUIRE(link.status == 201);
  Json body = Json::parse(link.body);
  CHECK(body["expiresAt"].str().size() == 24);
  const std::string url = body["url"].str();
  HttpResponse first = httpRequest(s.port(), "GET", url);
  CHECK(first.status == 303);
  CHECK(first.header("location") == "/console/");
  const std::string cookie = first.header("set-cookie");
  CHECK(cookie.rfind("pitlog_console=", 0) == 0);
  CHECK(cookie.find("; HttpOnly") != std::string::npos);
  CHECK(cookie.find("; SameSite=Strict") != std::string::npos);
  CHECK(cookie.find("; Path=/") != std::string::npos);
  CHECK(cookie.find("Secure") == std::string::npos);  // plain HTTP here (e2e_tls: Secure)
  CHECK(first.header("referrer-policy") == "no-referrer");

  HttpResponse again = httpRequest(s.port(), "GET", url);
  CHECK(again.status == 401);
  CHECK(again.header("content-type").rfind("text/html", 0) == 0);
  CHECK(again.body.find("not valid") != std::string::npos);
  CHECK_FALSE(again.has("set-cookie"));
  CHECK(httpRequest(s.port(), "GET", "/console/signin?code=made-up").status == 401);
  CHECK(httpRequest(s.port(), "GET", "/console/signin").status == 401);
}

TEST_CASE("console links go only to actors who may manage, or admins") {
  TestServer s;
  const Actor bob{"bob", "user"};
  CHECK(s.send("POST", "/v1/accounts/acme/console/links", "", bob).status == 403);
  REQUIRE(s.send("PUT", "/v1/accounts/acme/users/bob/permission", R"({"allowed":true})").status == 200);
  CHECK(s.send("POST", "/v1/accounts/acme/console/links", "", bob).status == 201);
  // A withdrawn admin still gets one: the permission routes need only the role.
  REQUIRE(s.send("PUT", "/v1/accounts/acme/users/carol/permission", R"({"allowed":false})").status == 200);
  CHECK(s.send("POST", "/v1/accounts/acme/console/links", "", Actor{"carol", "admin"}).status == 201);
  // The key is needed; a session is not enough to mint another session.
  const std::string cookie = s.consoleCookie("acme");
  CHECK(httpRequest(s.port(), "POST", "/v1/accounts/acme/console/links",
                    {{"Cookie", cookie}, {"X-Pitlog-Console", "1"}})
            .status == 401);
}

TEST_CASE("a console session reaches its own account's routes as its actor, only with X-Pitlog-Console") {
  TestServer s;
  const Created own = s.create("acme");
  const Created other = s.create("globex");
  const std::string cookie = s.consoleCookie("acme", Actor{"alice", "admin"});
  const Headers console = {{"Cookie", cookie}, {"X-Pitlog-Console", "1"}};

  HttpResponse list = httpRequest(s.port(), "GET", "/v1/accounts/acme/integrations", console);
  CHECK(list.status == 200);
  CHECK(list.body.find(own.id) != std::string::npos);
  CHECK(list.header("content-security-policy").find("default-src 'self'") != std::string::npos);
  CHECK(httpRequest(s.port(), "GET", "/v1/scopes", console).status == 200);

  // Actor headers are ignored: the event names the session's actor.
  Headers lying = console;
  lying.push_back({"X-Actor-User", "mallory"});
  lying.push_back({"X-Actor-Role", "user"});
  lying.push_back({"Content-Type", "application/json"});
  HttpResponse created = httpRequest(s.port(), "POST", "/v1/accounts/acme/integrations", lying,
                                     R"({"name":"From the console","scopes":["contacts.readonly"]})");
  REQUIRE(created.status == 201);
  const std::string id = Json::parse(created.body)["integration"]["id"].str();
  Json events = Json::parse(s.get(integrationsPath("acme", id, "/events")).body)["events"];
  CHECK(events[size_t(0)]["actor"]["userId"].str() == "alice");
  CHECK(events[size_t(0)]["actor"]["role"].str() == "admin");

  const uint64_t before = s.lastSeq();
  // Without the header: 403, nothing read, nothing appended.
  HttpResponse noHeader = httpRequest(s.port(), "GET", "/v1/accounts/acme/integrations",
                                      {{"Cookie", cookie}});
  CHECK(noHeader.status == 403);
  CHECK(noHeader.body.find(own.id) == std::string::npos);
  CHECK(httpRequest(s.port(), "DELETE", integrationsPath("acme", own.id), {{"Cookie", cookie}})
            .status == 403);
  CHECK(httpRequest(s.port(), "GET", "/v1/accounts/acme/integrations",
                    {{"Cookie", cookie}, {"X-Pitlog-Console", "true"}})
            .status == 403);
  // Another account's routes: refused, by list and by id, reading and writing.
  for (const std::string& target :
       {std::string("/v1/accounts/globex/integrations"), integrationsPath("globex", other.id),
        integrationsPath("globex", other.id, "/events"), std::string("/v1/accounts/globex/audit")}) {
    HttpResponse r = httpRequest(s.port(), "GET", target, console);
    INFO(target << " -> " << r.status);
    CHECK(r.status == 403);
    CHECK(r.body.find(other.id) == std::string::npos);
  }
  CHECK(httpRequest(s.port(), "DELETE", integrationsPath("globex", other.id), console).status == 403);
  // A forged or altered cookie is no credential.
  for (const std::string& forged : {std::string("pitlog_console=forged"), cookie + "x",
                                    std::string("pitlog_console=")}) {
    HttpResponse r = httpRequest(s.port(), "GET", "/v1/accounts/acme/integrations",
                                 {{"Cookie", forged}, {"X-Pitlog-Console", "1"}});
    INFO(forged.substr(0, 16) << " -> " << r.status);
    CHECK(r.status == 401);
    CHECK(r.body.find(own.id) == std::string::npos);
  }
  // Not on routes that take only the key.
  CHECK(httpRequest(s.port(), "POST", "/v1/introspect",
                    {{"Cookie", cookie}, {"X-Pitlog-Console", "1"}, {"Content-Type", "application/json"}},
                    R"({"token":"x"})")
            .status == 401);
  CHECK(s.lastSeq() == before);

  // Signing out ends it.
  HttpResponse out = httpRequest(s.port(), "POST", "/console/signout", console);
  CHECK(out.status == 204);
  CHECK(out.header("set-cookie").find("Max-Age=0") != std::string::npos);
  CHECK(httpRequest(s.port(), "GET", "/v1/accounts/acme/integrations", console).status == 401);
  CHECK(s.active(own.token));
}

TEST_CASE("the console's files are served with their types, ETags and security headers") {
  TestServer s;
  HttpResponse page = httpRequest(s.port(), "GET", "/console/");
  CHECK(page.status == 200);
  CHECK(page.header("content-type") == "text/html; charset=utf-8");
  CHECK(page.header("content-security-policy").find("default-src 'self'") != std::string::npos);
  CHECK(page.header("content-security-policy").find("frame-ancestors 'none'") != std::string::npos);
  CHECK(page.header("x-content-type-options") == "nosniff");
  CHECK(page.header("referrer-policy") == "no-referrer");
  const std::string etag = page.header("etag");
  CHECK(etag.size() == 18);
  HttpResponse cached = httpRequest(s.port(), "GET", "/console/", {{"If-None-Match", etag}});
  CHECK(cached.status == 304);
  CHECK(cached.body.empty());
  HttpResponse script = httpRequest(s.port(), "GET", "/console/app.js");
  CHECK(script.status == 200);
  CHECK(script.header("content-type") == "text/javascript; charset=utf-8");
  CHECK(script.header("etag") != etag);
  CHECK(httpRequest(s.port(), "GET", "/console/style.css").header("content-type") ==
        "text/css; charset=utf-8");
  CHECK(httpRequest(s.port(), "GET", "/console/no-such.js").status == 404);
  CHECK(httpRequest(s.port(), "GET", "/console/../v1/scopes").status != 200);
  HttpResponse bare = httpRequest(s.port(), "GET", "/console");
  CHECK(bare.status == 308);
  CHECK(bare.header("location") == "/console/");
  CHECK(httpRequest(s.port(), "POST", "/console/app.js").status == 405);
  // Without a session the page loads, but it reads nothing.
  CHECK(httpRequest(s.port(), "GET", "/console/session", {{"X-Pitlog-Console", "1"}}).status == 401);
}
