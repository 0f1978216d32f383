#include "http_seeds.h"

#include "http_input.h"

namespace pitlog::fuzz {

using namespace std::string_literals;

namespace {

// Flags for the usual caller: service key, admin actor, JSON body.
constexpr unsigned kAdmin = flag::kKey | flag::kActor | flag::kAdmin | flag::kJson;
constexpr unsigned kUser = flag::kKey | flag::kActor | flag::kJson;
constexpr unsigned kService = flag::kKey | flag::kJson;

struct Seed {
  const char* name;
  unsigned flags;
  const char* method;
  const char* path;
  const char* headers;  // '\n'-separated
  const char* body;
};

const Seed kSeeds[] = {
    // Valid, one per route.
    {"create", kAdmin, "POST", "/v1/accounts/acme/integrations", "",
     R"({"name":"Zapier","description":"sync","scopes":["contacts.readonly","contacts.write"]})"},
    {"list", kAdmin, "GET", "/v1/accounts/acme/integrations?includeDeleted=true&staleAfterDays=90", "", ""},
    {"get", kAdmin, "GET", "/v1/accounts/acme/integrations/$ID", "", ""},
    {"get-as-of", kAdmin, "GET", "/v1/accounts/acme/integrations/$ID?asOf=2026-11-28T17:00:00.000Z", "", ""},
    {"edit", kAdmin, "PATCH", "/v1/accounts/acme/integrations/$ID", "If-Match: \"1\"\nIdempotency-Key: k-1",
     R"({"name":"New name","description":"d","scopes":["contacts.readonly"]})"},
    {"rotate-later", kAdmin, "POST", "/v1/accounts/acme/integrations/$ID/rotate", "", R"({"expire":"later"})"},
    {"rotate-now", kAdmin, "POST", "/v1/accounts/acme/integrations/$ID/rotate", "If-Match: *", R"({"expire":"now"})"},
    {"cancel", kAdmin, "POST", "/v1/accounts/acme/integrations/$ID2/rotation/cancel", "", ""},
    {"expire-now", kAdmin, "POST", "/v1/accounts/acme/integrations/$ID2/rotation/expire-now", "", ""},
    {"delete", kAdmin, "DELETE", "/v1/accounts/acme/integrations/$ID", "If-Match: \"9\", \"1\"", ""},
    {"events", kAdmin, "GET", "/v1/accounts/acme/integrations/$ID/events", "", ""},
    {"audit", kAdmin, "GET", "/v1/accounts/acme/audit?after=1&limit=2&since=2020-01-01T00:00:00.000Z", "", ""},
    {"perm-put", kAdmin, "PUT", "/v1/accounts/acme/users/bob/permission", "", R"({"allowed":false})"},
    {"perm-get", kAdmin, "GET", "/v1/accounts/acme/users/bob/permission", "", ""},
    {"scopes", flag::kKey, "GET", "/v1/scopes", "", ""},
    {"introspect-json", kService, "POST", "/v1/introspect", "X-Request-Id: req-1",
     R"({"token":"$TOKEN","requiredScope":"contacts.write"})"},
    {"introspect-form", flag::kKey, "POST", "/v1/introspect",
     "Content-Type: application/x-www-form-urlencoded; charset=utf-8",
     "token=$TOKEN&required_scope=contacts.write&client_id=x&token_type_hint=access_token"},
    {"healthz", 0, "GET", "/healthz", "", ""},
    {"metrics", 0, "GET", "/metrics?x=1", "", ""},
    {"create-chunked", kAdmin | flag::kChunked, "POST", "/v1/accounts/acme/integrations", "",
     R"({"name":"Chunked","scopes":["contacts.readonly"]})"},
    // Invalid: each breaks one rule.
    {"no-key", 0, "GET", "/v1/scopes", "", ""},
    {"basic-auth", 0, "GET", "/v1/scopes", "Authorization: Basic YTpi", ""},
    {"foreign-id", kAdmin, "GET", "/v1/accounts/globex/integrations/$ID", "", ""},
    {"other-account", kAdmin, "DELETE", "/v1/accounts/acme/integrations/$OTHER", "", ""},
    {"plain-user", kUser, "POST", "/v1/accounts/acme/integrations", "",
     R"({"name":"x","scopes":["contacts.readonly"]})"},
    {"bad-id", kAdmin, "GET", "/v1/accounts/a%2Fb/integrations/%2e%2e", "", ""},
    {"bad-json", kAdmin, "POST", "/v1/accounts/acme/integrations", "", R"({"name":"x","scopes":["contacts.readonly"],)"},
    {"dup-key", kAdmin, "PATCH", "/v1/accounts/acme/integrations/$ID", "", R"({"name":"a","name":"b"})"},
    {"unknown-field", kAdmin, "PATCH", "/v1/accounts/acme/integrations/$ID", "", R"({"nam":"a"})"},
    {"escapes", kAdmin, "PATCH", "/v1/accounts/acme/integrations/$ID", "",
     R"({"description":"\u00e9\ud83d\ude00\n\t\"\\"})"},
    {"lone-surrogate", kAdmin, "PATCH", "/v1/accounts/acme/integrations/$ID", "", R"({"name":"\udc00"})"},
    {"nested", kAdmin, "PATCH", "/v1/accounts/acme/integrations/$ID", "",
     R"({"name":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{}]]]]]]]]]]]]]]]]]]]]]]]]]]]]]})"},
    {"number", kAdmin, "PUT", "/v1/accounts/acme/users/bob/permission", "", R"({"allowed":1e999999})"},
    {"wrong-type", kAdmin, "POST", "/v1/accounts/acme/integrations", "Content-Type: text/plain", "{}"},
    {"too-large", kAdmin, "POST", "/v1/accounts/acme/integrations", "Content-Length: 999999999", ""},
    {"bad-if-match", kAdmin, "PATCH", "/v1/accounts/acme/integrations/$ID", "If-Match: \"1", R"({"name":"a"})"},
    {"bad-request-id", kAdmin, "GET", "/v1/accounts/acme/integrations", "X-Request-Id: \x01", ""},
    {"bad-query", kAdmin, "GET", "/v1/accounts/acme/audit?limit=0&limit=5&x=%zz", "", ""},
    {"method", kAdmin, "BREW", "/v1/accounts/acme/integrations", "", ""},
    {"introspect-junk", kService, "POST", "/v1/introspect", "", R"({"token":"pit_0000","requiredScope":5})"},
};

}  // namespace

std::vector<std::pair<std::string, std::string>> httpSeeds() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Seed& s : kSeeds) {
    out.emplace_back(s.name, encodeInput(s.flags, s.method, s.path, s.headers, s.body));
  }
  // Raw: two pipelined requests, then a request line kj cannot parse.
  out.emplace_back("raw-pipelined",
                   std::string(1, char(flag::kRaw)) +
                       "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                       "POST /v1/introspect HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer $KEY\r\n"
                       "Content-Type: application/json\r\nContent-Length: 17\r\n\r\n"
                       "{\"token\":\"pit_x\"}");
  // Raw, without a key: the escaped spellings of closed routes that once bypassed the key check
  // (fuzz_http's authorization oracle must see them refused).
  out.emplace_back("raw-escaped-create",
                   std::string(1, char(flag::kRaw)) +
                       "POST /%761/accounts/acme/integrations HTTP/1.1\r\nHost: x\r\n"
                       "X-Actor-User: mallory\r\nX-Actor-Role: admin\r\n"
                       "Content-Type: application/json\r\nContent-Length: 46\r\n\r\n"
                       "{\"name\":\"Evil\",\"scopes\":[\"contacts.readonly\"]}");
  out.emplace_back("raw-escaped-introspect",
                   std::string(1, char(flag::kRaw)) +
                       "POST /%76%31/introspect HTTP/1.1\r\nHost: x\r\n"
                       "Content-Type: application/json\r\nContent-Length: 65\r\n\r\n"
                       "{\"token\":\"$TOKEN\"}");
  out.emplace_back("raw-garbage", std::string(1, char(flag::kRaw)) + "GET\0/ HTTP/9.9\r\n\r\n"s);
  return out;
}

}  // namespace pitlog::fuzz
