// Deny by default, against the real pitd: every route but the two open probes answers 401 to a
// request without a valid service key, however its path is spelt (the review's bypass was
// `/%76%31/...`: the key check read the raw target while routing matched the decoded one), and
// such a request appends nothing.
#include <catch2/catch.hpp>

#include <cctype>
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

}  // namespace

TEST_CASE("every route but /healthz and /metrics answers 401 without a key, however its path is spelt, and appends nothing") {
  TestServer s;
  const Created victim = s.create("acme");
  const std::string id = victim.id;
  const std::string base = "/v1/accounts/acme";
  const std::vector<RouteCase> routes = {
      {"GET", "/v1/scopes", ""},
      {"POST", "/v1/introspect", R"({"token":")" + victim.token + R"("})"},
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
      for (const Headers& credentials :
           {Headers{}, Headers{{"Authorization", "Bearer not-the-key"}},
            Headers{{"Authorization", "Basic bWFsbG9yeTpub3Q="}}}) {
        Headers headers = credentials;
        headers.push_back({"X-Actor-User", "mallory"});
        headers.push_back({"X-Actor-Role", "admin"});
        if (!route.body.empty()) headers.push_back({"Content-Type", "application/json"});
        HttpResponse r = httpRequest(s.port(), route.method, target, headers, route.body);
        ++requests;
        INFO(route.method << " " << target << " -> " << r.status << " " << redacted(r.body));
        CHECK(r.status == 401);
        CHECK(r.header("www-authenticate").rfind("Bearer", 0) == 0);
        CHECK(r.header("cache-control") == "no-store");
        CHECK(r.body.find("\"token\"") == std::string::npos);
      }
    }
    INFO(route.method << " " << route.path << ": unkeyed spellings appended nothing");
    CHECK(s.lastSeq() == seqAfterKeyed);
  }
  CHECK(requests > routes.size() * 3 * 30);
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

TEST_CASE("the open probes answer without a key and carry no no-store; an unknown path without a key is 401, not 404") {
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
