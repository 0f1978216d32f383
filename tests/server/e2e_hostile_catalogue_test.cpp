// The bad-input catalogue (issue #5, campaign 5): one table row per hostile or malformed request,
// each sent as raw bytes to a real pitd. Every row must get its documented answer (API.md: status,
// error.code, error.field when one input is to blame, in API.md's order of precedence), arrive
// within a bound, and leave the log as it was. The rows complement e2e_errors_test.cpp's table of
// malformed requests (which this file does not repeat): hostile inputs an attacker would try.
//
// Connection-level abuse (more connections than --max-connections, descriptors exhausted, a
// client that never reads, `Connection: close` and HTTP/1.0, silent TLS sockets) has its rows in
// e2e_connections_test.cpp and e2e_tls_test.cpp, tagged [catalogue] too; the RPC port's (message
// floods before and after login, silent and half-sent connections, oversized messages, EMFILE,
// SIGTERM with calls in flight) in rpc/rpc_connection_test.cpp, tagged [connections].
//
// Partial requests (slow-loris) cannot be answered; the rule for them is that pitd closes or
// answers the connection within its header timeout, and keeps serving others meanwhile. They are
// opened first and checked last, so the rest of the table runs while they hang.
#include <catch2/catch.hpp>
#include <kj/encoding.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "support/test_server.h"

using namespace pitlog::testing;
using Clock = std::chrono::steady_clock;

namespace {

// A complete request must be answered within this; the real figure is milliseconds.
constexpr auto kAnswerBound = std::chrono::seconds(5);
// kj closes a connection whose request headers are not complete after 15 s (HttpServerSettings).
constexpr auto kPartialBound = std::chrono::seconds(25);

struct Row {
  std::string name;     // the hostility
  std::string request;  // raw bytes, sent as they are
  int status;
  std::string code;  // error.code; "" for a 200 whose body is checked by `body`
  std::optional<std::string> field = std::nullopt;  // "" means: no field member
  std::string body = {};                            // exact body, when the status is 200
  bool replayed = false;  // a 200 answered from an idempotency record (its body is not compared)
};

// A request that never completes: the server must close it (or answer it) in time.
struct Partial {
  std::string name;
  std::string bytes;
};

std::string request(const std::string& method, const std::string& target, const Headers& headers,
                    const std::string& body = {}) {
  std::string out = method + " " + target + " HTTP/1.1\r\nHost: pitd\r\nConnection: close\r\n";
  bool framed = false;  // a row that sets its own Content-Length or Transfer-Encoding
  for (const auto& [name, value] : headers) {
    out += name + ": " + value + "\r\n";
    framed = framed || name == "Content-Length" || name == "Transfer-Encoding";
  }
  if (!framed && (!body.empty() || (method != "GET" && method != "HEAD"))) {
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  return out + "\r\n" + body;
}

// Replaces (or adds) a header, so that a row names only what it breaks.
Headers with(Headers h, const std::string& name, const std::optional<std::string>& value) {
  std::erase_if(h, [&](const auto& kv) { return kv.first == name; });
  if (value) h.emplace_back(name, *value);
  return h;
}

std::string chunked(const std::string& head, const std::vector<std::string>& chunks) {
  std::string out = head;
  char size[32];
  for (const auto& c : chunks) {
    std::snprintf(size, sizeof size, "%zx\r\n", c.size());
    out += size + c + "\r\n";
  }
  return out + "0\r\n\r\n";
}

std::string repeat(const std::string& s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

std::string nested(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// A connection left open on a request pitd cannot answer (partial, or too large to read).
class SlowClient {
 public:
  SlowClient(int port, const std::string& bytes, Clock::duration bound = kPartialBound)
      : opened_(Clock::now()), bound_(bound) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    // A server that stops reading must not block the test in send() either.
    timeval tv{static_cast<time_t>(std::chrono::duration_cast<std::chrono::seconds>(bound).count()), 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    // A server that refuses early may close before everything is sent: that is its answer.
    for (size_t sent = 0; sent < bytes.size();) {
      ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
  }
  ~SlowClient() { ::close(fd_); }
  SlowClient(const SlowClient&) = delete;
  SlowClient& operator=(const SlowClient&) = delete;

  // Waits until the server closes the connection (reading any answer on the way) or the bound
  // passes; true when it closed in time. *head gets the first bytes of an answer, if any.
  bool closedInTime(std::string* head) {
    char buffer[4096];
    for (;;) {
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(opened_ + bound_ - Clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
      ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) return true;  // EOF or reset: closed
      if (head->size() < 256) head->append(buffer, static_cast<size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  Clock::time_point opened_;
  Clock::duration bound_;
};

void checkRow(const Row& row, const HttpResponse& r) {
  INFO(redacted(r.body.substr(0, 300)));
  CHECK(r.status == row.status);
  if (r.status != row.status) return;  // the body of another answer says nothing more
  // Nothing a client sent may come back as a header of its own (header injection).
  CHECK_FALSE(r.has("set-cookie"));
  CHECK_FALSE(r.has("x-injected"));
  if (row.code.empty()) {
    if (row.replayed) {
      CHECK(r.header("idempotent-replayed") == "true");
    } else {
      CHECK(r.body == row.body);
    }
    return;
  }
  auto j = Json::parse(r.body);
  CHECK(j["error"]["code"].str() == row.code);
  if (row.field && row.field->empty()) {
    CHECK_FALSE(j["error"]["field"].exists());
  } else if (row.field) {
    CHECK(j["error"]["field"].str() == *row.field);
  }
}

}  // namespace

TEST_CASE("hostile catalogue: each hostile request gets its documented error in bounded time "
          "and appends nothing", "[catalogue]") {
  // A window longer than the test: the scheduler must not append an Expired while it runs.
  TestServer s({"--rotation-window", "7d"});
  // acme's integration with a rotation pending (version 2), an edit made under an idempotency
  // key (version 3), and an integration of another account.
  auto a = s.create("acme");
  auto g = s.create("globex");
  const std::string A = integrationsPath("acme", a.id);
  REQUIRE(s.send("POST", A + "/rotate", R"({"expire":"later"})").status == 200);
  REQUIRE(s.send("PATCH", A, R"({"name":"Zapier"})", kAdmin, {{"Idempotency-Key", "idem-1"}})
              .status == 200);

  const Headers admin = s.headers(kAdmin, {{"Content-Type", "application/json"}});
  const Headers service = s.headers(std::nullopt, {{"Content-Type", "application/json"}});
  const Headers user = s.headers(Actor{"bob", "user"}, {{"Content-Type", "application/json"}});
  const std::string list = integrationsPath("acme");
  const std::string audit = "/v1/accounts/acme/audit";
  const std::string perm = "/v1/accounts/acme/users/bob/permission";
  const std::string intro = "/v1/introspect";
  auto inclusion = [](const std::string& query) { return "/v1/log/proof/inclusion?" + query; };
  auto consistency = [](const std::string& query) { return "/v1/log/proof/consistency?" + query; };
  const std::string scopes = R"("scopes":["contacts.readonly"])";
  auto create = [&](const std::string& fields) {  // a create body with `fields` added
    return request("POST", list, admin, "{" + fields + "}");
  };
  auto edit = [&](const std::string& json, const Headers& h) { return request("PATCH", A, h, json); };
  const std::string bad = "invalid_argument";
  const std::string W = "/v1/accounts/acme/webhooks/hook";
  const std::string ok = R"(["token.rotated"])";
  auto hook = [](const std::string& url, const std::string& events) {
    return R"({"url":")" + url + R"(","events":)" + events + "}";
  };
  const std::string inactive = R"({"active":false})";
  const std::string big(70 * 1024, 'x');
  const std::string form = "application/x-www-form-urlencoded";
  auto basic = [](const std::string& credentials) {
    return "Basic " + std::string(kj::encodeBase64(kj::arrayPtr(
                          reinterpret_cast<const kj::byte*>(credentials.data()), credentials.size())).cStr());
  };

  // The console (API.md "Admin console"): a session of acme's admin, one of globex's, and the
  // page every refused sign-in code gets (an unknown code's, checked to say so).
  const std::string acmeSession = s.consoleCookie("acme");
  const std::string globexSession = s.consoleCookie("globex");
  const Headers console = {{"Cookie", acmeSession}, {"X-Pitlog-Console", "1"}};
  const std::string signin = "/console/signin?code=";
  const HttpResponse refused = httpRequest(s.port(), "GET", signin + std::string(43, 'A'));
  REQUIRE(refused.status == 401);
  REQUIRE(refused.body.find("This sign-in link is not valid") != std::string::npos);
  const std::string refusedPage = refused.body;

  const std::vector<Row> rows = {
      // --- every field's type, length and charset limits -----------------------------------
      {"name of 101 two-byte characters (the limit counts characters)",
       create("\"name\":\"" + repeat("\xc3\xa9", 101) + "\"," + scopes), 400, bad, "name"},
      // --- U+0000 is valid JSON: it reaches the field's rule, which names the field --------
      {"name with \\u0000", create(R"("name":"a\u0000b",)" + scopes), 400, bad, "name"},
      {"name of \\u0000 alone", create(R"("name":"\u0000",)" + scopes), 400, bad, "name"},
      {"description with \\u0000", create(R"("name":"n","description":"x\u0000",)" + scopes), 400,
       bad, "description"},
      {"description with \\u0007 (only \\n \\r \\t are kept)",
       create(R"("name":"n","description":"x\u0007",)" + scopes), 400, bad, "description"},
      {"scope with \\u0000", create(R"("name":"n","scopes":["contacts.readonly\u0000"])"), 400, bad,
       "scopes"},
      {"name with \\u001f in an edit", edit(R"({"name":"a\u001fb"})", admin), 400, bad, "name"},
      {"name with DEL (U+007F)", create(R"("name":"a)" "\x7f" R"(b",)" + scopes), 400, bad, "name"},
      {"name with a C1 control (U+0085)", create(R"("name":"a\u0085b",)" + scopes), 400, bad, "name"},
      {"name with a raw line feed inside the JSON string",
       create("\"name\":\"a\nb\"," + scopes), 400, bad, std::nullopt},
      {"name an object", create(R"("name":{"first":"x"},)" + scopes), 400, bad, "name"},
      {"name an array", create(R"("name":["x"],)" + scopes), 400, bad, "name"},
      {"name true", create(R"("name":true,)" + scopes), 400, bad, "name"},
      {"description of 1001 three-byte characters",
       create("\"name\":\"n\",\"description\":\"" + repeat("\xe2\x82\xac", 1001) + "\"," + scopes),
       400, bad, "description"},
      {"description a number", create(R"("name":"n","description":7,)" + scopes), 400, bad,
       "description"},
      {"description null", create(R"("name":"n","description":null,)" + scopes), 400, bad,
       "description"},
      {"description with an escape sequence (ESC)",
       create(R"("name":"n","description":"\u001b[31mred",)" + scopes), 400, bad, "description"},
      {"scopes an object", create(R"("name":"n","scopes":{"contacts.readonly":true})"), 400, bad,
       "scopes"},
      {"scopes with a null entry", create(R"("name":"n","scopes":[null])"), 400, bad, "scopes"},
      {"scopes nested", create(R"("name":"n","scopes":[["contacts.readonly"]])"), 400, bad, "scopes"},
      {"scope with a trailing space", create(R"("name":"n","scopes":["contacts.readonly "])"), 400,
       bad, "scopes"},
      {"scope in upper case", create(R"("name":"n","scopes":["CONTACTS.READONLY"])"), 400, bad,
       "scopes"},
      {"scope an empty string", create(R"("name":"n","scopes":[""])"), 400, bad, "scopes"},
      {"1000 scopes", create("\"name\":\"n\",\"scopes\":[" +
                             repeat("\"contacts.readonly\",", 999) + "\"contacts.readonly\"]"),
       400, bad, "scopes"},
      {"scopes of 100 unknown names", create("\"name\":\"n\",\"scopes\":[" +
                                             repeat("\"x.y\",", 99) + "\"x.y\"]"),
       400, bad, "scopes"},
      {"permission allowed null", request("PUT", perm, admin, R"({"allowed":null})"), 400, bad,
       "allowed"},
      {"permission allowed 1", request("PUT", perm, admin, R"({"allowed":1})"), 400, bad, "allowed"},
      {"rotate expire in upper case", request("POST", A + "/rotate", admin, R"({"expire":"NOW"})"),
       400, bad, "expire"},
      {"rotate with an unknown field", request("POST", A + "/rotate", admin,
                                              R"({"expire":"now","window":"1s"})"),
       400, bad, "window"},

      // --- ids in paths: length, charset, traversal ------------------------------------------
      {"account id of 65 characters on audit", request("GET", "/v1/accounts/" + std::string(65, 'a') +
                                                                  "/audit", admin),
       400, bad, "accountId"},
      {"account id with an encoded NUL", request("GET", integrationsPath("ac%00me"), admin), 400,
       bad, "accountId"},
      {"account id with an encoded é", request("GET", integrationsPath("acm%C3%A9"), admin), 400,
       bad, "accountId"},
      {"account id with an encoded space", request("GET", integrationsPath("ac%20me"), admin), 400,
       bad, "accountId"},
      {"integration id of 65 characters", request("GET", integrationsPath("acme", std::string(65, 'i')),
                                                  admin),
       400, bad, "integrationId"},
      {"integration id with an encoded NUL", request("DELETE", integrationsPath("acme", "x%00"), admin),
       400, bad, "integrationId"},
      {"integration id with an encoded backslash",
       request("GET", integrationsPath("acme", "..%5C..%5Caudit"), admin), 400, bad, "integrationId"},
      {"integration id with encoded slashes (%2F..%2F)",
       request("GET", integrationsPath("acme", "%2F..%2F..%2Fglobex"), admin), 400, bad,
       "integrationId"},
      {"integration id `..` (a valid id shape, no such integration)",
       request("GET", integrationsPath("acme", ".."), admin), 404, "not_found", ""},
      {"integration id %2e%2e", request("GET", integrationsPath("acme", "%2e%2e"), admin), 404,
       "not_found", ""},
      {"path traversal ../../ out of an integration",
       request("GET", integrationsPath("acme", "..", "/../audit"), admin), 404, "not_found", ""},
      {"path with a double slash", request("GET", "/v1/accounts//integrations", admin), 404,
       "not_found", ""},
      {"path with a trailing slash", request("GET", list + "/", admin), 404, "not_found", ""},
      {"path with a bad %-escape", request("GET", integrationsPath("acme", "%zz"), admin), 404,
       "not_found", ""},
      {"user id of 65 characters", request("GET", "/v1/accounts/acme/users/" + std::string(65, 'u') +
                                                      "/permission", admin),
       400, bad, "userId"},
      {"user id an e-mail address", request("GET", "/v1/accounts/acme/users/bob%40example.com/permission",
                                            admin),
       400, bad, "userId"},
      {"X-Actor-User of 65 characters", request("GET", list, with(admin, "X-Actor-User",
                                                                  std::string(65, 'u'))),
       400, bad, "X-Actor-User"},
      {"X-Actor-User with invalid UTF-8", request("GET", list, with(admin, "X-Actor-User", "al\xffice")),
       400, bad, "X-Actor-User"},
      {"X-Actor-Role `system` (the scheduler's, not a caller's)",
       request("GET", list, with(admin, "X-Actor-Role", "system")), 400, bad, "X-Actor-Role"},

      // --- cross-tenant: another account's integration is not found, never forbidden ----------
      {"edit another account's integration", request("PATCH", integrationsPath("acme", g.id), admin,
                                                     R"({"name":"mine now"})"),
       404, "not_found", ""},
      {"delete another account's integration", request("DELETE", integrationsPath("acme", g.id), admin),
       404, "not_found", ""},
      {"events of another account's integration",
       request("GET", integrationsPath("acme", g.id, "/events"), admin), 404, "not_found", ""},
      {"cancel another account's rotation",
       request("POST", integrationsPath("acme", g.id, "/rotation/cancel"), admin), 404, "not_found", ""},
      {"another account's integration as of a past time",
       request("GET", integrationsPath("acme", g.id) + "?asOf=2030-01-01T00:00:00.000Z", admin), 404,
       "not_found", ""},
      {"another account's integration by a plain user: 403 (authorization comes first)",
       request("GET", integrationsPath("acme", g.id), user), 403, "permission_denied", ""},

      // --- introspection: token and requiredScope --------------------------------------------
      {"token null", request("POST", intro, service, R"({"token":null})"), 400, bad, "token"},
      {"token an object", request("POST", intro, service, R"({"token":{"$ne":""}})"), 400, bad, "token"},
      {"token of 8 KiB", request("POST", intro, service, "{\"token\":\"pit_" + std::string(8192, 'A') + "\"}"),
       200, "", std::nullopt, inactive},
      {"token with a made-up checksum", request("POST", intro, service,
                                               "{\"token\":\"pit_" + std::string(49, '0') + "\"}"),
       200, "", std::nullopt, inactive},
      {"token with non-ASCII characters", request("POST", intro, service,
                                                  "{\"token\":\"pit_\xc3\xa9\xc3\xa9\"}"),
       200, "", std::nullopt, inactive},
      // --- revocation by value: 200 {} whatever the token, 400 only for the request's form -----
      {"revoke: token null", request("POST", "/v1/revoke", service, R"({"token":null})"), 400, bad,
       "token"},
      {"revoke: token an object", request("POST", "/v1/revoke", service, R"({"token":{"$ne":""}})"),
       400, bad, "token"},
      {"revoke: no token", request("POST", "/v1/revoke", service, R"({"source":"x"})"), 400, bad,
       "token"},
      {"revoke: an unknown field", request("POST", "/v1/revoke", service, R"({"token":"x","tenant":"acme"})"),
       400, bad, "tenant"},
      {"revoke: source of 501 characters",
       request("POST", "/v1/revoke", service, R"({"token":"x","source":")" + std::string(501, 's') + "\"}"),
       400, bad, "source"},
      {"revoke: source with U+0000", request("POST", "/v1/revoke", service,
                                             R"({"token":"x","source":"a\u0000b"})"),
       400, bad, "source"},
      {"revoke: source a number", request("POST", "/v1/revoke", service, R"({"token":"x","source":5})"),
       400, bad, "source"},
      {"revoke: token of 8 KiB", request("POST", "/v1/revoke", service,
                                         "{\"token\":\"pit_" + std::string(8192, 'A') + "\"}"),
       200, "", std::nullopt, "{}"},
      {"revoke: token with a made-up checksum",
       request("POST", "/v1/revoke", service, "{\"token\":\"pit_" + std::string(49, '0') + "\"}"),
       200, "", std::nullopt, "{}"},
      {"revoke: token with non-ASCII characters",
       request("POST", "/v1/revoke", service, "{\"token\":\"pit_\xc3\xa9\xc3\xa9\"}"), 200, "",
       std::nullopt, "{}"},
      {"revoke: form token twice", request("POST", "/v1/revoke", with(service, "Content-Type", form),
                                           "token=a&token=b"),
       400, bad, "token"},
      {"revoke: form without token", request("POST", "/v1/revoke", with(service, "Content-Type", form),
                                             "token_type_hint=access_token"),
       400, bad, "token"},
      {"revoke: form with an encoded NUL", request("POST", "/v1/revoke",
                                                   with(service, "Content-Type", form), "token=pit_%00"),
       200, "", std::nullopt, "{}"},
      {"revoke: Basic with the right key, an unknown token",
       request("POST", "/v1/revoke", {{"Authorization", basic("scanner:" + s.key())}, {"Content-Type", form}},
               "token=x&token_type_hint=refresh_token"),
       200, "", std::nullopt, "{}"},
      {"revoke: Basic with a wrong secret",
       request("POST", "/v1/revoke", {{"Authorization", basic("scanner:" + s.key() + "x")},
                                      {"Content-Type", form}}, "token=x"),
       401, "unauthenticated", ""},
      // --- webhooks: the SSRF guard (no --webhooks-allow-private here) and the subscription's form
      {"webhook: a loopback target", request("PUT", W, admin, hook("https://127.0.0.1/h", ok)),
       400, bad, "url"},
      {"webhook: loopback spelled as one number", request("PUT", W, admin, hook("https://2130706433/h", ok)),
       400, bad, "url"},
      {"webhook: loopback in hex", request("PUT", W, admin, hook("https://0x7f.1/h", ok)), 400, bad, "url"},
      {"webhook: the cloud metadata address", request("PUT", W, admin,
                                                      hook("https://169.254.169.254/latest/meta-data", ok)),
       400, bad, "url"},
      {"webhook: an IPv4-mapped IPv6 loopback", request("PUT", W, admin, hook("https://[::ffff:127.0.0.1]/h", ok)),
       400, bad, "url"},
      {"webhook: a private network", request("PUT", W, admin, hook("https://10.0.0.5/h", ok)), 400, bad, "url"},
      {"webhook: plain http", request("PUT", W, admin, hook("http://example.com/h", ok)), 400, bad, "url"},
      {"webhook: user and password in the URL", request("PUT", W, admin, hook("https://u:p@example.com/h", ok)),
       400, bad, "url"},
      {"webhook: a file URL", request("PUT", W, admin, hook("file:///etc/passwd", ok)), 400, bad, "url"},
      {"webhook: a URL with U+0000", request("PUT", W, admin, hook("https://example.com/\\u0000", ok)),
       400, bad, "url"},
      {"webhook: a URL of 3000 characters", request("PUT", W, admin,
                                                    hook("https://example.com/" + std::string(3000, 'a'), ok)),
       400, bad, "url"},
      {"webhook: no events", request("PUT", W, admin, hook("https://example.com/h", "[]")), 400, bad, "events"},
      {"webhook: an unknown event type", request("PUT", W, admin, hook("https://example.com/h", R"(["token.stolen"])")),
       400, bad, "events"},
      {"webhook: a type twice", request("PUT", W, admin,
                                        hook("https://example.com/h", R"(["token.rotated","token.rotated"])")),
       400, bad, "events"},
      {"webhook: events a string", request("PUT", W, admin, hook("https://example.com/h", R"("token.rotated")")),
       400, bad, "events"},
      {"webhook: the secret chosen by the caller",
       request("PUT", W, admin, R"({"url":"https://example.com/h","events":["token.rotated"],"secret":"whsec_AAAA"})"),
       400, bad, "secret"},
      {"webhook: an id with a space", request("PUT", "/v1/accounts/acme/webhooks/a%20b", admin,
                                              hook("https://example.com/h", ok)),
       400, bad, "webhookId"},
      {"webhook: a user who may not manage", request("PUT", W, user, hook("https://example.com/h", ok)),
       403, "permission_denied", ""},
      {"webhook: deliveries of an unknown one", request("GET", W + "/deliveries", admin), 404, "not_found", ""},
      {"webhook: delete an unknown one", request("DELETE", W, admin), 404, "not_found", ""},
      {"revoke/batch: 1001 tokens", request("POST", "/v1/revoke/batch", service, [] {
         std::string b = R"({"tokens":[)";
         for (int i = 0; i < 1001; ++i) b += std::string(i ? "," : "") + "\"x\"";
         return b + "]}";
       }()),
       400, bad, "tokens"},
      {"revoke/batch: tokens a string", request("POST", "/v1/revoke/batch", service, R"({"tokens":"x"})"),
       400, bad, "tokens"},
      {"revoke/batch: a token that is a number",
       request("POST", "/v1/revoke/batch", service, R"({"tokens":["x",5]})"), 400, bad, "tokens"},
      {"revoke/batch: an empty list", request("POST", "/v1/revoke/batch", service, R"({"tokens":[]})"),
       200, "", std::nullopt, R"({"received":0})"},
      {"revoke/batch: a form body", request("POST", "/v1/revoke/batch", with(service, "Content-Type", form),
                                            "tokens=x"),
       415, "unsupported_media_type", ""},
      {"revoke/batch: Basic with the right key (Bearer only)",
       request("POST", "/v1/revoke/batch", {{"Authorization", basic("scanner:" + s.key())},
                                            {"Content-Type", "application/json"}}, R"({"tokens":["x"]})"),
       401, "unauthenticated", ""},
      {"revoke: GET", request("GET", "/v1/revoke", service), 405, "method_not_allowed", ""},
      {"requiredScope an array", request("POST", intro, service,
                                         R"({"token":"pit_x","requiredScope":["contacts.write"]})"),
       400, bad, "requiredScope"},
      {"requiredScope a number", request("POST", intro, service, R"({"token":"pit_x","requiredScope":5})"),
       400, bad, "requiredScope"},
      {"required_scope in the JSON body (form spelling)",
       request("POST", intro, service, R"({"token":"pit_x","required_scope":"a"})"), 400, bad,
       "required_scope"},
      {"form token with an encoded NUL", request("POST", intro,
                                                 with(service, "Content-Type",
                                                      "application/x-www-form-urlencoded"),
                                                 "token=pit_%00"),
       200, "", std::nullopt, inactive},
      {"form body with a bad %-escape", request("POST", intro,
                                                with(service, "Content-Type",
                                                     "application/x-www-form-urlencoded"),
                                                "token=%zz"),
       400, bad, std::nullopt},

      // --- invalid UTF-8 and NUL bytes -------------------------------------------------------
      {"overlong UTF-8 encoding of '/'", create("\"name\":\"\xc0\xaf\"," + scopes), 400, bad, ""},
      {"UTF-8-encoded surrogate", create("\"name\":\"\xed\xa0\x80\"," + scopes), 400, bad, ""},
      {"UTF-8 truncated at the end of the body", request("POST", list, admin, "{\"name\":\"\xe2\x82"),
       400, bad, ""},
      {"invalid UTF-8 in a field name", create("\"n\xffme\":\"n\"," + scopes), 400, bad, ""},
      {"raw NUL byte inside a JSON string", create(std::string("\"name\":\"a\0b\",", 13) + scopes), 400,
       bad, std::nullopt},
      {"NUL byte after the JSON object", request("POST", list, admin,
                                                 "{\"name\":\"n\"," + scopes + std::string("}\0", 2)),
       400, bad, ""},
      {"a second JSON object after a NUL byte",
       request("POST", list, admin, "{\"name\":\"n\"," + scopes + std::string("}\0", 2) +
                                        R"({"name":"smuggled"})"),
       400, bad, ""},
      {"UTF-8 byte order mark before the JSON", request("POST", list, admin,
                                                        "\xef\xbb\xbf{\"name\":\"n\"," + scopes + "}"),
       400, bad, ""},
      {"Authorization with invalid UTF-8", request("GET", "/v1/scopes",
                                                   {{"Authorization", "Bearer \xff\xfe"}}),
       401, "unauthenticated", ""},

      // --- deeply nested JSON and numbers out of range ----------------------------------------
      {"body nested 10000 arrays deep", request("POST", list, admin, nested(10000)), 400, bad, ""},
      {"name nested 5000 objects deep",
       create("\"name\":" + repeat("{\"a\":", 5000) + "1" + std::string(5000, '}')), 400, bad,
       std::nullopt},
      {"scopes nested 1000 arrays deep", create("\"name\":\"n\",\"scopes\":" + nested(1000)), 400, bad,
       std::nullopt},
      {"allowed 1e999", request("PUT", perm, admin, R"({"allowed":1e999})"), 400, bad, "allowed"},
      {"staleAfterDays beyond 64 bits", request("GET", list + "?staleAfterDays=99999999999999999999999",
                                                admin),
       400, bad, "staleAfterDays"},
      {"staleAfterDays in hex", request("GET", list + "?staleAfterDays=0x10", admin), 400, bad,
       "staleAfterDays"},
      {"limit in exponent form", request("GET", audit + "?limit=1e3", admin), 400, bad, "limit"},
      {"after 2^64", request("GET", audit + "?after=18446744073709551616", admin), 400, bad, "after"},
      {"after negative", request("GET", audit + "?after=-1", admin), 400, bad, "after"},
      // --- one set of query rules for HTTP and RPC (commands/validate.h) ----------------------
      {"after 2^63", request("GET", audit + "?after=9223372036854775808", admin), 400, bad, "after"},
      {"since after until", request("GET", audit + "?since=2026-12-01T00:00:00.000Z&until=2026-11-01T00:00:00.000Z", admin),
       400, bad, "since"},
      {"unusedForDays beyond 64 bits",
       request("GET", list + "?unusedForDays=99999999999999999999999", admin), 400, bad,
       "unusedForDays"},
      {"unusedForDays negative", request("GET", list + "?unusedForDays=-1", admin), 400, bad,
       "unusedForDays"},
      {"unusedForDays 36501", request("GET", list + "?unusedForDays=36501", admin), 400, bad,
       "unusedForDays"},
      {"unusedForDays twice", request("GET", list + "?unusedForDays=1&unusedForDays=2", admin), 400,
       bad, "unusedForDays"},
      {"staleAfterDays 36501", request("GET", list + "?staleAfterDays=36501", admin), 400, bad,
       "staleAfterDays"},
      {"staleAfterDays 40000", request("GET", list + "?staleAfterDays=40000", admin), 400, bad,
       "staleAfterDays"},
      {"asOf in the year 99999", request("GET", A + "?asOf=99999-01-01T00:00:00.000Z", admin), 400, bad,
       "asOf"},
      {"until with an hour of 25", request("GET", audit + "?until=2026-01-01T25:00:00.000Z", admin), 400,
       bad, "until"},

      // --- duplicate JSON keys ---------------------------------------------------------------
      {"scopes twice", create(R"("name":"n",)" + scopes + "," + scopes), 400, bad, "scopes"},
      {"name twice, once spelt with a \\u escape", create(R"("name":"a","n\u0061me":"b",)" + scopes), 400,
       bad, "name"},
      {"token twice in introspection", request("POST", intro, service, R"({"token":"a","token":"b"})"),
       400, bad, "token"},
      {"allowed twice", request("PUT", perm, admin, R"({"allowed":true,"allowed":false})"), 400, bad,
       "allowed"},

      // --- X-Request-Id header injection -----------------------------------------------------
      {"X-Request-Id with a tab", request("GET", list, with(admin, "X-Request-Id", "a\tb")), 400, bad,
       "X-Request-Id"},
      {"X-Request-Id of 10 KiB", request("GET", list, with(admin, "X-Request-Id", std::string(10240, 'r'))),
       400, bad, "X-Request-Id"},
      {"X-Request-Id with DEL", request("GET", list, with(admin, "X-Request-Id", "a\x7f")), 400, bad,
       "X-Request-Id"},
      {"X-Request-Id with a terminal escape", request("GET", list, with(admin, "X-Request-Id", "\x1b[2J")),
       400, bad, "X-Request-Id"},
      {"X-Request-Id with a bare LF and a header after it",
       request("POST", list, with(admin, "X-Request-Id", "a\nX-Injected: 1"), "{}"), 400, bad, "name"},

      // --- huge or too many headers, bad framing ----------------------------------------------
      {"Authorization of 100 KiB (within kj's 128 KiB of headers)",
       request("GET", "/v1/scopes", {{"Authorization", "Bearer " + std::string(100 * 1024, 'k')}}),
       401, "unauthenticated", ""},
      {"5000 headers (within kj's 128 KiB) without a key",
       request("GET", "/v1/scopes", [] {
         Headers h;
         for (int i = 0; i < 5000; ++i) h.emplace_back("X-H" + std::to_string(i), "v");
         return h;
       }()),
       401, "unauthenticated", ""},
      {"header name with a space", "GET /v1/scopes HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n", 400, bad,
       ""},
      {"NUL byte in a header value", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a" + std::string(1, '\0') +
                                         "b\r\nConnection: close\r\n\r\n",
       400, bad, ""},
      {"NUL byte in the request target", "GET /v1/sco" + std::string(1, '\0') + "pes HTTP/1.1\r\nHost: x\r\n\r\n",
       400, bad, ""},
      {"Content-Length negative (kj's strtoull reads -1 as 2^64-1)",
       request("POST", intro, with(service, "Content-Length", "-1")), 400, bad, "Content-Length"},
      {"Content-Length with a plus sign", request("POST", intro, with(service, "Content-Length", "+2"), "{}"),
       400, bad, "Content-Length"},
      {"two different Content-Lengths",
       "POST /v1/introspect HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
       400, bad, ""},
      {"Content-Length of 2^64", request("POST", intro, with(service, "Content-Length",
                                                             "18446744073709551616")),
       413, "payload_too_large", ""},
      {"Content-Length and Transfer-Encoding both (request smuggling)",
       chunked("POST /v1/introspect HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + s.key() +
                   "\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n",
               {"{}"}),
       400, bad, ""},

      // --- bodies over the limit ---------------------------------------------------------------
      {"chunked body of 70 chunks of 1 KiB",
       chunked("POST " + list + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer " +
                   s.key() + "\r\nX-Actor-User: alice\r\nX-Actor-Role: admin\r\nContent-Type: "
                   "application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
               std::vector<std::string>(70, std::string(1024, ' '))),
       413, "payload_too_large", ""},
      {"chunk size that is not hex", "POST /v1/introspect HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                                         s.key() + "\r\nContent-Type: application/json\r\n"
                                         "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
       400, bad, ""},
      {"Transfer-Encoding gzip (unsupported)",
       "POST /v1/introspect HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + s.key() +
           "\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip\r\n\r\n{}",
       400, bad, ""},
      {"Content-Length of 1 GiB announced", request("PATCH", A, with(admin, "Content-Length", "1073741824")),
       413, "payload_too_large", ""},
      {"body over the limit on introspection", request("POST", intro, service, big), 413,
       "payload_too_large", ""},

      // --- media types -------------------------------------------------------------------------
      {"Content-Type application/jsonx", edit(R"({"name":"n"})", with(admin, "Content-Type",
                                                                      "application/jsonx")),
       415, "unsupported_media_type", ""},
      {"Content-Type text/json", edit(R"({"name":"n"})", with(admin, "Content-Type", "text/json")), 415,
       "unsupported_media_type", ""},
      {"Content-Type JSON in UTF-16", edit(R"({"name":"n"})", with(admin, "Content-Type",
                                                                   "application/json; charset=utf-16")),
       415, "unsupported_media_type", ""},
      {"Content-Type multipart", edit(R"({"name":"n"})", with(admin, "Content-Type",
                                                              "multipart/form-data; boundary=x")),
       415, "unsupported_media_type", ""},
      {"Content-Type empty", edit(R"({"name":"n"})", with(admin, "Content-Type", "")), 415,
       "unsupported_media_type", ""},
      {"form body to an edit", edit("name=n", with(admin, "Content-Type",
                                                   "application/x-www-form-urlencoded")),
       415, "unsupported_media_type", ""},

      // --- If-Match garbage --------------------------------------------------------------------
      {"If-Match listing 101 versions (the limit is 100, as over RPC)",
       edit(R"({"name":"n"})", with(admin, "If-Match", [] {
              std::string tags;
              for (int v = 1; v <= 101; ++v) tags += (v > 1 ? ", \"" : "\"") + std::to_string(v) + "\"";
              return tags;
            }())),
       400, bad, "If-Match"},
      {"If-Match * inside a list", edit(R"({"name":"n"})", with(admin, "If-Match", "*, \"3\"")), 400, bad,
       "If-Match"},
      {"If-Match of 10 KiB of commas", edit(R"({"name":"n"})", with(admin, "If-Match",
                                                                    std::string(10240, ','))),
       400, bad, "If-Match"},
      {"If-Match with a control character", edit(R"({"name":"n"})", with(admin, "If-Match", "\"3\x01\"")),
       400, bad, "If-Match"},
      {"If-Match version 03 (not the same tag as 3)", edit(R"({"name":"n"})",
                                                           with(admin, "If-Match", "\"03\"")),
       412, "version_mismatch", ""},
      {"If-Match version -3", edit(R"({"name":"n"})", with(admin, "If-Match", "\"-3\"")), 412,
       "version_mismatch", ""},
      {"If-Match version beyond 32 bits", edit(R"({"name":"n"})",
                                               with(admin, "If-Match", "\"4294967299\"")),
       412, "version_mismatch", ""},

      // --- idempotency keys replayed with something else -----------------------------------------
      {"replayed Idempotency-Key with another body",
       edit(R"({"name":"Zapier 2"})", with(admin, "Idempotency-Key", "idem-1")), 409, "conflict", "Idempotency-Key"},
      // "The same request" is the same operation with the same arguments (API.md), not the same
      // bytes: the command is fingerprinted, so spacing, escapes or field order change nothing.
      {"replayed Idempotency-Key with the same JSON spaced differently",
       edit(R"({ "name": "Zapier" })", with(admin, "Idempotency-Key", "idem-1")), 200, "",
       std::nullopt, "", true},
      {"replayed Idempotency-Key with the same name \\u-escaped",
       edit(R"({"name":"\u005aapier"})", with(admin, "Idempotency-Key", "idem-1")), 200, "",
       std::nullopt, "", true},
      // The reused key is checked right after authorization: before existence and version.
      {"replayed Idempotency-Key with another body, on a missing integration, If-Match wrong",
       request("PATCH", integrationsPath("acme", "int_missing"),
               with(with(admin, "Idempotency-Key", "idem-1"), "If-Match", "\"99\""),
               R"({"name":"Zapier"})"),
       409, "conflict", "Idempotency-Key"},
      {"replayed Idempotency-Key by an actor who may not manage (403 before 409)",
       edit(R"({"name":"Zapier 2"})", with(user, "Idempotency-Key", "idem-1")), 403,
       "permission_denied", ""},
      {"Idempotency-Key present and empty",
       edit(R"({"name":"n"})", with(admin, "Idempotency-Key", "")), 400, bad, "Idempotency-Key"},
      {"Idempotency-Key of 129 characters",
       edit(R"({"name":"n"})", with(admin, "Idempotency-Key", std::string(129, 'k'))), 400, bad,
       "Idempotency-Key"},
      {"Idempotency-Key with a non-ASCII byte",
       edit(R"({"name":"n"})", with(admin, "Idempotency-Key", "idem\xc3\xa9")), 400, bad,
       "Idempotency-Key"},
      {"replayed Idempotency-Key on another route",
       request("POST", A + "/rotate", with(admin, "Idempotency-Key", "idem-1"), R"({"expire":"now"})"),
       409, "conflict", "Idempotency-Key"},
      {"replayed Idempotency-Key with another method",
       request("DELETE", A, with(admin, "Idempotency-Key", "idem-1")), 409, "conflict", "Idempotency-Key"},
      {"Idempotency-Key with a control character",
       request("PATCH", A, with(admin, "Idempotency-Key", "idem\x01"), R"({"name":"n"})"), 400, bad,
       "Idempotency-Key"},

      // --- X-Pitlog-Min-Position garbage (API.md "Cluster mode"; single-node too) ----------------
      {"X-Pitlog-Min-Position present and empty",
       request("GET", list, with(admin, "X-Pitlog-Min-Position", "")), 400, bad, "X-Pitlog-Min-Position"},
      {"X-Pitlog-Min-Position negative",
       request("GET", list, with(admin, "X-Pitlog-Min-Position", "-1")), 400, bad, "X-Pitlog-Min-Position"},
      {"X-Pitlog-Min-Position with a sign",
       request("GET", list, with(admin, "X-Pitlog-Min-Position", "+1")), 400, bad, "X-Pitlog-Min-Position"},
      {"X-Pitlog-Min-Position a fraction",
       request("GET", audit, with(admin, "X-Pitlog-Min-Position", "1.5")), 400, bad, "X-Pitlog-Min-Position"},
      {"X-Pitlog-Min-Position in hex",
       request("GET", A, with(admin, "X-Pitlog-Min-Position", "0x10")), 400, bad, "X-Pitlog-Min-Position"},
      {"X-Pitlog-Min-Position a list",
       request("GET", list, with(admin, "X-Pitlog-Min-Position", "1, 2")), 400, bad, "X-Pitlog-Min-Position"},
      {"X-Pitlog-Min-Position sent twice",
       request("GET", list, [&] { auto h = with(admin, "X-Pitlog-Min-Position", "1");
                                  h.emplace_back("X-Pitlog-Min-Position", "2");
                                  return h; }()),
       400, bad, "X-Pitlog-Min-Position"},
      {"X-Pitlog-Min-Position of 2^64",
       request("GET", list, with(admin, "X-Pitlog-Min-Position", "18446744073709551616")), 400, bad,
       "X-Pitlog-Min-Position"},
      {"X-Pitlog-Min-Position of 8 KiB of digits",
       request("GET", list, with(admin, "X-Pitlog-Min-Position", std::string(8192, '9'))), 400, bad,
       "X-Pitlog-Min-Position"},
      {"X-Pitlog-Min-Position a word, on introspection",
       request("POST", intro, with(service, "X-Pitlog-Min-Position", "latest"), R"({"token":"pit_x"})"),
       400, bad, "X-Pitlog-Min-Position"},
      // Well formed and never reached: the bounded wait (2 s), then 503.
      {"X-Pitlog-Min-Position far ahead of the log",
       request("GET", list, with(admin, "X-Pitlog-Min-Position", "18446744073709551615")), 503,
       "unavailable", ""},

      // --- Authorization scheme variants -------------------------------------------------------
      {"Bearer with the key and trailing words", request("GET", "/v1/scopes",
                                                         {{"Authorization", "Bearer " + s.key() + " x"}}),
       401, "unauthenticated", ""},
      {"Bearer with no space and no key", request("GET", "/v1/scopes", {{"Authorization", "Bearer"}}), 401,
       "unauthenticated", ""},
      {"Bearer glued to the key", request("GET", "/v1/scopes", {{"Authorization", "Bearer" + s.key()}}),
       401, "unauthenticated", ""},
      {"Token scheme with the right key", request("GET", "/v1/scopes", {{"Authorization", "Token " + s.key()}}),
       401, "unauthenticated", ""},
      {"the key twice in one header", request("GET", "/v1/scopes",
                                              {{"Authorization", "Bearer " + s.key() + ", Bearer " + s.key()}}),
       401, "unauthenticated", ""},
      {"two Authorization headers", request("GET", "/v1/scopes", {{"Authorization", "Bearer " + s.key()},
                                                                  {"Authorization", "Bearer " + s.key()}}),
       401, "unauthenticated", ""},
      {"the key without its last character", request("GET", "/v1/scopes",
                                                     {{"Authorization", "Bearer " +
                                                                            s.key().substr(0, s.key().size() - 1)}}),
       401, "unauthenticated", ""},
      {"the service key as a query parameter", request("GET", "/v1/scopes?access_token=" + s.key(), {}),
       401, "unauthenticated", ""},

      // --- the key as an OAuth client secret (Basic, form): /v1/introspect only -----------------
      {"Basic with the right key on a route that takes Bearer only",
       request("GET", "/v1/scopes", {{"Authorization", basic("gw:" + s.key())}}), 401,
       "unauthenticated", ""},
      {"Basic with the right key on create",
       request("POST", list, with(admin, "Authorization", basic("gw:" + s.key())),
               "{\"name\":\"Evil\"," + scopes + "}"),
       401, "unauthenticated", ""},
      {"client_secret with the right key in a form body on create",
       request("POST", list, with(with(admin, "Authorization", std::nullopt), "Content-Type", form),
               "name=Evil&client_id=gw&client_secret=" + s.key()),
       401, "unauthenticated", ""},
      {"Basic with a wrong secret on introspect",
       request("POST", intro, {{"Authorization", basic("gw:" + s.key() + "x")}, {"Content-Type", form}},
               "token=x"),
       401, "unauthenticated", ""},
      {"Basic with an empty client id", request("POST", intro, {{"Authorization", basic(":" + s.key())},
                                                               {"Content-Type", form}}, "token=x"),
       401, "unauthenticated", ""},
      {"Basic with a client id of 65 characters",
       request("POST", intro, {{"Authorization", basic(std::string(65, 'c') + ":" + s.key())},
                               {"Content-Type", form}}, "token=x"),
       401, "unauthenticated", ""},
      {"Basic with a %-encoded control character in the client id",
       request("POST", intro, {{"Authorization", basic("g%0Aw:" + s.key())}, {"Content-Type", form}},
               "token=x"),
       401, "unauthenticated", ""},
      {"Basic with the key alone, no ':'",
       request("POST", intro, {{"Authorization", basic(s.key())}, {"Content-Type", form}}, "token=x"),
       401, "unauthenticated", ""},
      {"Basic that is not base64",
       request("POST", intro, {{"Authorization", "Basic " + s.key() + "!"}, {"Content-Type", form}},
               "token=x"),
       401, "unauthenticated", ""},
      {"Basic with the key behind a bad %-escape",
       request("POST", intro, {{"Authorization", basic("gw:%zz" + s.key())}, {"Content-Type", form}},
               "token=x"),
       401, "unauthenticated", ""},
      {"Basic with the right key answers introspection", request("POST", intro, {{"Authorization",
       basic("gw:" + s.key())}, {"Content-Type", form}}, "token=x"), 200, "", std::nullopt, inactive},
      {"Basic with the right key decides; a wrong client_secret in the body is not read",
       request("POST", intro, {{"Authorization", basic("gw:" + s.key())}, {"Content-Type", form}},
               "token=x&client_id=gw&client_secret=wrong"),
       200, "", std::nullopt, inactive},
      {"client_id and client_secret with the right key answer introspection",
       request("POST", intro, {{"Content-Type", form}}, "token=x&client_id=gw&client_secret=" + s.key()),
       200, "", std::nullopt, inactive},
      {"client_secret twice", request("POST", intro, {{"Content-Type", form}},
                                      "token=x&client_id=gw&client_secret=" + s.key() +
                                          "&client_secret=" + s.key()),
       401, "unauthenticated", ""},
      {"client_secret without client_id",
       request("POST", intro, {{"Content-Type", form}}, "token=x&client_secret=" + s.key()), 401,
       "unauthenticated", ""},
      {"client_secret in a JSON body", request("POST", intro, {{"Content-Type", "application/json"}},
                                               R"({"token":"x","client_secret":")" + s.key() + "\"}"),
       401, "unauthenticated", ""},
      {"client_secret in the query string", request("POST", intro + "?client_id=gw&client_secret=" + s.key(),
                                                    {{"Content-Type", form}}, "token=x"),
       401, "unauthenticated", ""},
      {"client_secret in a form body over 64 KiB is 401, not 413",
       request("POST", intro, {{"Content-Type", form}},
               "client_id=gw&client_secret=" + s.key() + "&token=" + big),
       401, "unauthenticated", ""},
      {"client_secret in a text/plain body is 401, not 415",
       request("POST", intro, {{"Content-Type", "text/plain"}}, "token=x&client_id=gw&client_secret=" + s.key()),
       401, "unauthenticated", ""},
      {"client_secret in a form body of another charset is 401, not 415",
       request("POST", intro, {{"Content-Type", form + "; charset=latin1"}},
               "token=x&client_id=gw&client_secret=" + s.key()),
       401, "unauthenticated", ""},

      // --- closed routes spelt another way, without a key: deny by default ---------------------
      {"create at /%761/... without a key (the review's bypass)",
       request("POST", "/%761/accounts/acme/integrations", with(admin, "Authorization", std::nullopt),
               "{\"name\":\"Evil\"," + scopes + "}"),
       401, "unauthenticated", ""},
      {"list at /%76%31/... without a key",
       request("GET", "/%76%31/accounts/acme/integrations", with(admin, "Authorization", std::nullopt)),
       401, "unauthenticated", ""},
      {"introspect at /v1/%69ntrospect without a key",
       request("POST", "/v1/%69ntrospect", {{"Content-Type", "application/json"}}, R"({"token":"x"})"),
       401, "unauthenticated", ""},
      {"audit through a dot segment without a key",
       request("GET", "/v1/./accounts/acme/audit", with(admin, "Authorization", std::nullopt)), 401,
       "unauthenticated", ""},
      {"scopes in the absolute form without a key", request("GET", "http://pitd/v1/scopes", {}), 401,
       "unauthenticated", ""},
      {"scopes with a ;param and upper case without a key", request("GET", "/V1;x/scopes", {}), 401,
       "unauthenticated", ""},
      {"an unknown path without a key is 401, not 404", request("GET", "/v1/secret", {}), 401,
       "unauthenticated", ""},

      // --- log proofs: sizes and sequences out of range or malformed, each naming its field ------
      // The log holds a handful of events here; 99999 is beyond it.
      {"inclusion proof without seq", request("GET", inclusion(""), service), 400, bad, "seq"},
      {"inclusion proof of seq 0 (leaf n-1 is seq n)", request("GET", inclusion("seq=0"), service),
       400, bad, "seq"},
      {"inclusion proof of a negative seq", request("GET", inclusion("seq=-1"), service), 400, bad,
       "seq"},
      {"inclusion proof of seq 01 (a leading zero)", request("GET", inclusion("seq=01"), service), 400,
       bad, "seq"},
      {"inclusion proof of seq 1e3", request("GET", inclusion("seq=1e3"), service), 400, bad, "seq"},
      {"inclusion proof of seq +1 (a form-encoded space)", request("GET", inclusion("seq=+1"), service),
       400, bad, "seq"},
      {"inclusion proof of seq %00", request("GET", inclusion("seq=%00"), service), 400, bad, "seq"},
      {"inclusion proof of seq 2^64 (overflows 64 bits)",
       request("GET", inclusion("seq=18446744073709551616"), service), 400, bad, "seq"},
      {"inclusion proof of seq 2^64-1", request("GET", inclusion("seq=18446744073709551615"), service),
       400, bad, "seq"},
      {"inclusion proof of a seq beyond the log", request("GET", inclusion("seq=99999"), service), 400,
       bad, "seq"},
      {"inclusion proof in a tree of size 0", request("GET", inclusion("seq=1&treeSize=0"), service),
       400, bad, "treeSize"},
      {"inclusion proof of seq 2 in a tree of size 1",
       request("GET", inclusion("seq=2&treeSize=1"), service), 400, bad, "treeSize"},
      {"inclusion proof in a tree larger than the log",
       request("GET", inclusion("seq=1&treeSize=99999"), service), 400, bad, "treeSize"},
      {"inclusion proof with treeSize text", request("GET", inclusion("seq=1&treeSize=all"), service),
       400, bad, "treeSize"},
      {"consistency proof without from", request("GET", consistency("to=2"), service), 400, bad,
       "from"},
      {"consistency proof from a negative size", request("GET", consistency("from=-1"), service), 400,
       bad, "from"},
      {"consistency proof from 3 to 2 (backwards)", request("GET", consistency("from=3&to=2"), service),
       400, bad, "from"},
      {"consistency proof from beyond the log", request("GET", consistency("from=99999"), service), 400,
       bad, "from"},
      {"consistency proof to beyond the log", request("GET", consistency("from=1&to=99999"), service),
       400, bad, "to"},
      {"consistency proof to 2^64", request("GET", consistency("from=1&to=18446744073709551616"),
                                               service),
       400, bad, "to"},
      {"consistency proof with to 0x2", request("GET", consistency("from=1&to=0x2"), service), 400, bad,
       "to"},
      {"a proof without the service key",
       request("GET", inclusion("seq=1"), with(service, "Authorization", std::nullopt)), 401,
       "unauthenticated", ""},
      {"POST to the checkpoint", request("POST", "/v1/log/checkpoint", service, "{}"), 405,
       "method_not_allowed", ""},

      // --- the console: sign-in codes, the console header, another account's session ---------
      {"sign-in code unknown (well-formed: 43 base64url characters)",
       request("GET", signin + std::string(42, 'A') + "B", {}), 401, "", std::nullopt, refusedPage},
      {"sign-in code with an encoded NUL", request("GET", signin + "abc%00def", {}), 401, "",
       std::nullopt, refusedPage},
      {"sign-in code with markup (not echoed)", request("GET", signin + "%3Cscript%3Ealert(1)%3C/script%3E", {}),
       401, "", std::nullopt, refusedPage},
      {"sign-in code of 10 KiB", request("GET", signin + std::string(10240, 'c'), {}), 401, "",
       std::nullopt, refusedPage},
      {"sign-in code empty", request("GET", signin, {}), 401, "", std::nullopt, refusedPage},
      // A query pitd cannot read is the request's form (400), on this route as on every other.
      {"sign-in code with a bad %-escape", request("GET", signin + "%zz", {}), 400, bad, ""},
      {"sign-in code twice", request("GET", signin + "a&code=b", {}), 400, bad, "code"},
      {"sign-in without a code", request("GET", "/console/signin", {}), 401, "", std::nullopt,
       refusedPage},
      {"a session without X-Pitlog-Console", request("GET", list, {{"Cookie", acmeSession}}), 403,
       "permission_denied", "X-Pitlog-Console"},
      {"a session deleting without X-Pitlog-Console", request("DELETE", A, {{"Cookie", acmeSession}}),
       403, "permission_denied", "X-Pitlog-Console"},
      {"a session with X-Pitlog-Console: true (only 1 counts)",
       request("GET", list, {{"Cookie", acmeSession}, {"X-Pitlog-Console", "true"}}), 403,
       "permission_denied", "X-Pitlog-Console"},
      {"a session of another account (globex) on acme's list",
       request("GET", list, {{"Cookie", globexSession}, {"X-Pitlog-Console", "1"}}), 403,
       "permission_denied", ""},
      {"a session of another account (globex) editing acme's integration",
       request("PATCH", A, {{"Cookie", globexSession}, {"X-Pitlog-Console", "1"},
                            {"Content-Type", "application/json"}}, R"({"name":"mine now"})"),
       403, "permission_denied", ""},
      {"acme's session on globex's integration by id",
       request("GET", integrationsPath("globex", g.id), console), 403, "permission_denied", ""},
      {"a forged session cookie", request("GET", list, {{"Cookie", "pitlog_console=forged"},
                                                        {"X-Pitlog-Console", "1"}}),
       401, "unauthenticated", ""},
      {"a session minting a sign-in link (the key is needed)",
       request("POST", "/v1/accounts/acme/console/links", console), 401, "unauthenticated", ""},

      // --- methods -----------------------------------------------------------------------------
      {"TRACE (echoes requests on some servers)", request("TRACE", "/v1/scopes", service), 405,
       "method_not_allowed", ""},
      {"PROPFIND on an integration", request("PROPFIND", A, admin), 405, "method_not_allowed", ""},
  };

  // Requests kj refuses by closing the connection, without an answer: beyond its 128 KiB of
  // request headers. Closed or answered 4xx within the bound, like the partial ones.
  const std::vector<Partial> oversized = {
      {"one 200 KiB header", request("GET", "/healthz", {{"X-Big", std::string(200 * 1024, 'h')}})},
      {"a 1 MiB request target", request("GET", "/healthz?" + std::string(1024 * 1024, 'q'), {})},
      {"20000 headers (over 128 KiB)", request("GET", "/healthz", [] {
         Headers h;
         for (int i = 0; i < 20000; ++i) h.emplace_back("X-H" + std::to_string(i), "v");
         return h;
       }())},
  };
  const std::vector<Partial> partials = {
      {"request line never finished", "GET /v1/sco"},
      {"headers never finished", "GET /v1/scopes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + s.key()},
      {"one header byte at a time, then silence", "POST /v1/introspect HTTP/1.1\r\nH"},
  };

  const uint64_t seqBefore = s.lastSeq();
  const size_t auditBefore = s.auditCount("acme");
  std::vector<std::unique_ptr<SlowClient>> slow;
  for (const auto& p : partials) slow.push_back(std::make_unique<SlowClient>(s.port(), p.bytes));

  for (const auto& p : oversized) {
    INFO(p.name);
    std::string head;
    CHECK(SlowClient(s.port(), p.bytes, kAnswerBound).closedInTime(&head));
    CHECK((head.empty() || head.compare(0, 10, "HTTP/1.1 4") == 0));
  }
  for (const auto& row : rows) {
    INFO(row.name);
    const auto started = Clock::now();
    auto r = httpRaw(s.port(), row.request);
    CHECK(Clock::now() - started < kAnswerBound);
    checkRow(row, r);
    CHECK(s.lastSeq() == seqBefore);
  }
  for (size_t i = 0; i < partials.size(); ++i) {
    INFO(partials[i].name);
    std::string head;
    CHECK(slow[i]->closedInTime(&head));
    // An answer, if any, is an error: a partial request is never served.
    CHECK((head.empty() || head.compare(0, 10, "HTTP/1.1 4") == 0));
  }
  CHECK(s.lastSeq() == seqBefore);
  CHECK(s.auditCount("acme") == auditBefore);
  CHECK(s.auditCount("globex") == 1);
  CHECK(s.active(a.token));
  std::cout << "hostile catalogue: " << rows.size() << " requests answered as documented, "
            << oversized.size() << " oversized and " << partials.size()
            << " partial requests closed in time\n";
}

// A body announced and never sent in full must not hold a connection and its request forever:
// pitd bounds body reads with ApiService::kBodyTimeout.
TEST_CASE("hostile catalogue: a body that never arrives in full is answered or closed in bounded "
          "time", "[catalogue]") {
  TestServer s;
  const std::string head = "POST /v1/introspect HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                           s.key() + "\r\nContent-Type: application/json\r\n";
  const std::vector<Partial> partials = {
      {"body shorter than its Content-Length", head + "Content-Length: 100\r\n\r\n{\"token\""},
      {"chunked body never terminated", head + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n"},
      // kj reads the size without an overflow check: it wraps, and kj waits for that many bytes.
      {"chunk size beyond 64 bits", head + "Transfer-Encoding: chunked\r\n\r\n"
                                           "fffffffffffffffffffffff\r\n{}\r\n0\r\n\r\n"},
  };
  std::vector<std::unique_ptr<SlowClient>> slow;
  for (const auto& p : partials) slow.push_back(std::make_unique<SlowClient>(s.port(), p.bytes));
  // Meanwhile pitd serves others.
  CHECK(httpRequest(s.port(), "GET", "/healthz").status == 200);
  for (size_t i = 0; i < partials.size(); ++i) {
    INFO(partials[i].name);
    std::string head;
    CHECK(slow[i]->closedInTime(&head));
    CHECK((head.empty() || head.compare(0, 10, "HTTP/1.1 4") == 0));
  }
  CHECK(s.lastSeq() == 0);
}
