// The pure request parsers of src/server/http: Authorization, If-Match, media types, request
// ids, paths, forms, the \u escape rewrite, strict JSON bodies and the route table.
#include <capnp/message.h>
#include <catch2/catch.hpp>

#include <algorithm>

#include <set>

#include "server/api.capnp.h"
#include "server/http/credentials.h"
#include "server/http/json_body.h"
#include "server/http/json_escapes.h"
#include "server/http/parsing.h"
#include "server/http/render.h"
#include "server/http/router.h"

using namespace pitlog::server::http;

TEST_CASE("bearerCredentials: the scheme is case-insensitive and whitespace is dropped") {
  CHECK(bearerCredentials("Bearer abc") == "abc");
  CHECK(bearerCredentials("bearer abc") == "abc");
  CHECK(bearerCredentials("BEARER   abc  ") == "abc");
  CHECK(bearerCredentials("Bearer\tabc") == "abc");
  CHECK(bearerCredentials("Bearer") == "");
  CHECK(bearerCredentials("Bearer   ") == "");
  CHECK_FALSE(bearerCredentials("Basic YWxhZGRpbjpvcGVu"));
  CHECK_FALSE(bearerCredentials("Bearerabc"));
  CHECK_FALSE(bearerCredentials(""));
}

TEST_CASE("parseIfMatch: star / lists / weak tags and malformed headers") {
  auto any = parseIfMatch("*");
  REQUIRE(any);
  CHECK(any->any);
  CHECK(any->matches(7));

  auto one = parseIfMatch("\"3\"");
  REQUIRE(one);
  CHECK(one->matches(3));
  CHECK_FALSE(one->matches(4));

  auto list = parseIfMatch(" \"1\" , \"5\",\"x\"");
  REQUIRE(list);
  CHECK(list->matches(1));
  CHECK(list->matches(5));
  CHECK_FALSE(list->matches(2));

  // Strong comparison: a weak tag never matches, nor does another spelling of the number.
  auto weak = parseIfMatch("W/\"3\"");
  REQUIRE(weak);
  CHECK_FALSE(weak->matches(3));
  auto padded = parseIfMatch("\"03\"");
  REQUIRE(padded);
  CHECK_FALSE(padded->matches(3));
  auto huge = parseIfMatch("\"99999999999\"");
  REQUIRE(huge);
  CHECK(huge->versions.empty());

  CHECK_FALSE(parseIfMatch(""));
  CHECK_FALSE(parseIfMatch("3"));
  CHECK_FALSE(parseIfMatch("\"3"));
  CHECK_FALSE(parseIfMatch("\"3\" \"4\""));
  CHECK_FALSE(parseIfMatch("*, \"3\""));
  CHECK_FALSE(parseIfMatch(","));
}

TEST_CASE("parseMediaType: case-insensitive types / parameters / charset") {
  auto json = parseMediaType("Application/JSON; Charset=\"UTF-8\"");
  REQUIRE(json);
  CHECK(json->type == "application/json");
  CHECK(json->charset == "utf-8");
  auto plain = parseMediaType("application/json");
  REQUIRE(plain);
  CHECK_FALSE(plain->charset);
  auto other = parseMediaType("application/json;foo=bar ; charset=latin1");
  REQUIRE(other);
  CHECK(other->charset == "latin1");
  CHECK_FALSE(parseMediaType("json"));
  CHECK_FALSE(parseMediaType("application/json; charset"));
  CHECK_FALSE(parseMediaType("application /json"));
}


TEST_CASE("splitPath and matchRoute") {
  auto s = splitPath("/v1/accounts/ac%2Dme/integrations/int_1/rotation/expire-now");
  REQUIRE(s);
  auto m = matchRoute(*s);
  REQUIRE(m);
  CHECK(m->route->id == RouteId::rotationExpireNow);
  CHECK(m->account == "ac-me");
  CHECK(m->integration == "int_1");

  auto p = matchRoute(*splitPath("/v1/accounts/a/users/u/permission"));
  REQUIRE(p);
  CHECK(p->route->id == RouteId::permission);
  CHECK(p->user == "u");
  CHECK(p->route->allowHeader() == "GET, PUT");

  CHECK(splitPath("/")->empty());
  CHECK_FALSE(splitPath("/v1//scopes"));
  CHECK_FALSE(splitPath("/v1/scopes/"));
  CHECK_FALSE(splitPath("/v1/%zz"));
  CHECK_FALSE(splitPath("v1/scopes"));
  CHECK_FALSE(matchRoute(*splitPath("/v1/accounts/a/integrations/i/rotation")));
  CHECK_FALSE(matchRoute(*splitPath("/v2/scopes")));
}

TEST_CASE("only /healthz, /metrics and the console's own routes go without a key: every other route, and no route, needs one") {
  std::vector<std::string> open;
  for (const Route* route : allRoutes()) {
    RouteMatch m;
    m.route = route;
    if (!needsServiceKey(m)) open.push_back(route->pattern);
  }
  // The console's routes check their own credential (a sign-in code, a session) in their handler.
  CHECK(open == std::vector<std::string>{"/healthz", "/metrics", "/console/signin",
                                         "/console/signout", "/console/session",
                                         "/console/{file}"});
  CHECK(needsServiceKey(std::nullopt));
  // allRoutes() is the table the test above covers: one entry per RouteId.
  std::set<RouteId> ids;
  for (const Route* route : allRoutes()) ids.insert(route->id);
  CHECK(ids.size() == allRoutes().size());
  CHECK(ids.size() == size_t(RouteId::webhookDeliveries) + 1);  // the last RouteId
}

TEST_CASE("a console session stands in for the key only on account-scoped routes and the catalogue") {
  std::vector<std::string> session;
  for (const Route* route : allRoutes()) {
    RouteMatch m;
    m.route = route;
    if (!acceptsConsoleSession(m)) continue;
    session.push_back(route->pattern);
    CHECK(needsServiceKey(m));
    CHECK((route->accountScoped || route->id == RouteId::scopes));
  }
  CHECK(session.size() == 12);  // the webhook routes are account-scoped too
  CHECK(std::find(session.begin(), session.end(), "/v1/accounts/{a}/console/links") == session.end());
  CHECK(std::find(session.begin(), session.end(), "/v1/introspect") == session.end());
  CHECK_FALSE(acceptsConsoleSession(std::nullopt));
}

TEST_CASE("the console's paths: its root with a trailing slash, its files, sign-in and sign-out") {
  CHECK(matchPath("/console/")->route->id == RouteId::consoleAsset);
  CHECK(matchPath("/console/")->asset.empty());
  CHECK(matchPath("/console")->route->id == RouteId::consoleAsset);
  CHECK(matchPath("/console/app.js")->asset == "app.js");
  CHECK(matchPath("/console/signin")->route->id == RouteId::consoleSignIn);
  CHECK(matchPath("/console/signout")->route->id == RouteId::consoleSignOut);
  CHECK(matchPath("/v1/accounts/a/console/links")->route->id == RouteId::consoleLinks);
  CHECK_FALSE(matchPath("/console/a/b"));
  CHECK_FALSE(matchPath("/console//"));
  CHECK_FALSE(matchPath("/v1/scopes/"));
}

TEST_CASE("only /v1/introspect and /v1/revoke take the key as a client secret - no other route does") {
  std::vector<std::string> clientSecret;
  for (const Route* route : allRoutes()) {
    RouteMatch m;
    m.route = route;
    if (acceptsClientSecret(m)) clientSecret.push_back(route->pattern);
    if (acceptsClientSecret(m)) CHECK(needsServiceKey(m));
  }
  std::sort(clientSecret.begin(), clientSecret.end());
  CHECK(clientSecret == std::vector<std::string>{"/v1/introspect", "/v1/revoke"});
  CHECK_FALSE(acceptsClientSecret(std::nullopt));
  CHECK(acceptsClientSecret(matchRoute(*splitPath("/v1/%69ntrospect"))));
}

TEST_CASE("basicCredentials: RFC 7617 with RFC 6749's form-urlencoded client id and secret") {
  // base64("gw:psk_1") / base64("my%20gw:a%2Bb") / base64("gw:a+b")
  auto plain = basicCredentials("Basic Z3c6cHNrXzE=");
  REQUIRE(plain);
  CHECK(plain->wellFormed);
  CHECK(plain->clientId == "gw");
  CHECK(plain->secret == "psk_1");
  CHECK(basicCredentials("bAsIc Z3c6cHNrXzE=")->secret == "psk_1");  // scheme case-insensitive
  CHECK(basicCredentials("  BASIC\tZ3c6cHNrXzE=  ")->secret == "psk_1");
  auto encoded = basicCredentials("Basic bXklMjBndzphJTJCYg==");
  REQUIRE(encoded);
  CHECK(encoded->clientId == "my gw");
  CHECK(encoded->secret == "a+b");
  CHECK(encoded->secretAsSent == "a%2Bb");
  auto unencoded = basicCredentials("Basic Z3c6YSti");  // a client that skipped the encoding
  CHECK(unencoded->secret == "a b");
  CHECK(unencoded->secretAsSent == "a+b");
  CHECK_FALSE(basicCredentials("Bearer Z3c6cHNrXzE="));
  CHECK_FALSE(basicCredentials("Basicx Z3c6cHNrXzE="));
  CHECK_FALSE(basicCredentials("Basic")->wellFormed);
  CHECK_FALSE(basicCredentials("Basic !!!")->wellFormed);
  CHECK_FALSE(basicCredentials("Basic Z3dwc2s=")->wellFormed);  // "gwpsk": no ':'
}

TEST_CASE("authenticateHeader / authenticateFormBody: which forms hold the key, and what a failure is") {
  using pitlog::server::ServiceKeys;
  const auto keys = ServiceKeys::parse("psk_1\nk+y\n");
  using A = Authentication;
  auto header = [&](const char* h, bool clientSecret = true) {
    return authenticateHeader(std::optional<std::string>(h), clientSecret, keys);
  };
  CHECK(authenticateHeader(std::nullopt, true, keys).outcome == A::missing);
  CHECK(header("Bearer psk_1").outcome == A::authenticated);
  CHECK(header("Bearer psk_1").form == CredentialForm::bearer);
  CHECK(header("Bearer nope").outcome == A::wrongKey);
  CHECK(header("Bearer").outcome == A::wrongKey);
  // Basic: base64("gw:psk_1"), base64("gw:nope"), base64(":psk_1"), base64("g w:psk_1") (the
  // client id "g w" is not an id), base64("gw:k%2By") and base64("gw:k+y") (the key k+y, encoded
  // as RFC 6749 says, and as curl -u sends it).
  CHECK(header("Basic Z3c6cHNrXzE=").outcome == A::authenticated);
  CHECK(header("Basic Z3c6cHNrXzE=").clientId == "gw");
  CHECK(header("Basic Z3c6cHNrXzE=").form == CredentialForm::basic);
  CHECK(header("Basic Z3c6cHNrXzE=", false).outcome == A::missing);  // not this route's form
  CHECK(header("Basic Z3c6bm9wZQ==").outcome == A::wrongClientSecret);
  CHECK(header("Basic OnBza18x").outcome == A::wrongClientSecret);
  CHECK(header("Basic ZyB3OnBza18x").outcome == A::wrongClientSecret);
  CHECK(header("Basic Z3c6ayUyQnk=").outcome == A::authenticated);
  CHECK(header("Basic Z3c6ayt5").outcome == A::authenticated);
  CHECK(header("Basic %%%").outcome == A::wrongClientSecret);
  CHECK(header("Digest x").outcome == A::missing);

  CHECK(authenticateFormBody("token=t&client_id=gw&client_secret=psk_1", keys).outcome ==
        A::authenticated);
  CHECK(authenticateFormBody("client_secret=k%2By&client_id=gw", keys).clientId == "gw");
  CHECK(authenticateFormBody("token=t", keys).outcome == A::missing);
  CHECK(authenticateFormBody("client_id=gw&token=t", keys).outcome == A::missing);
  CHECK(authenticateFormBody("client_id=gw&client_secret=nope", keys).outcome ==
        A::wrongClientSecret);
  CHECK(authenticateFormBody("client_secret=psk_1", keys).outcome == A::wrongClientSecret);
  CHECK(authenticateFormBody("client_id=&client_secret=psk_1", keys).outcome ==
        A::wrongClientSecret);
  CHECK(authenticateFormBody("client_id=gw&client_secret=psk_1&client_secret=psk_1", keys)
            .outcome == A::wrongClientSecret);
  CHECK(authenticateFormBody("client_id=gw&client_id=x&client_secret=psk_1", keys).outcome ==
        A::wrongClientSecret);
}

TEST_CASE("the key decision follows the decoded path: escaped spellings of /v1 routes need a key") {
  for (const char* path : {"/%76%31/scopes", "/%761/accounts/a/integrations", "/v%31/introspect",
                           "/v1/%73copes", "/%56%31/scopes"}) {
    auto segments = splitPath(path);
    REQUIRE(segments);
    CHECK(needsServiceKey(matchRoute(*segments)));
  }
  // An escaped spelling of an open route stays open (it is the same route), and no spelling of
  // anything else becomes open.
  CHECK_FALSE(needsServiceKey(matchRoute(*splitPath("/%68ealthz"))));
  CHECK(needsServiceKey(matchRoute(*splitPath("/healthz%2F..%2Fv1%2Fscopes"))));
}

TEST_CASE("parseForm: www-form-urlencoded") {
  auto f = parseForm("token=pit_a%2Bb&required_scope=contacts.readonly&client_id=x+y&&flag");
  REQUIRE(f);
  REQUIRE(f->size() == 4);
  CHECK((*f)[0] == std::make_pair(std::string("token"), std::string("pit_a+b")));
  CHECK((*f)[2].second == "x y");
  CHECK((*f)[3] == std::make_pair(std::string("flag"), std::string()));
  CHECK_FALSE(parseForm("a=%"));
  CHECK(parseForm("")->empty());
}

TEST_CASE("rewriteUnicodeEscapes: exact u-escape decoding / other escapes untouched") {
  std::string error;
  CHECK(rewriteUnicodeEscapes(R"({"a":"\u00e9\u00C9"})", &error) == "{\"a\":\"\xc3\xa9\xc3\x89\"}");
  CHECK(rewriteUnicodeEscapes(R"("\ud83d\ude00")", &error) == "\"\xf0\x9f\x98\x80\"");
  CHECK(rewriteUnicodeEscapes(R"("\u0022\u005c")", &error) == R"("\"\\")");
  CHECK(rewriteUnicodeEscapes(R"("a\nb\"c\\u0041")", &error) == R"("a\nb\"c\\u0041")");
  CHECK(rewriteUnicodeEscapes(R"(\u0041 "\u0041")", &error) == R"(\u0041 "A")");
  CHECK_FALSE(rewriteUnicodeEscapes(R"("\ud800")", &error));
  CHECK_FALSE(rewriteUnicodeEscapes(R"("\udc00")", &error));
  // U+0000 is valid JSON: its escape stays for the codec (a raw NUL would end its input), and
  // the field's rule refuses it by name.
  CHECK(rewriteUnicodeEscapes(R"("a\u0000b")", &error) == R"("a\u0000b")");
  CHECK_FALSE(rewriteUnicodeEscapes(R"("\u12")", &error));
}

TEST_CASE("decodeJsonBody: strict shapes with the field to blame") {
  Renderer renderer;
  auto decode = [&](const std::string& body) {
    capnp::MallocMessageBuilder m;
    return decodeJsonBody<pitlog::api::CreateRequest>(renderer.strictCodec(), body,
                                                     {"name", "scopes"},
                                                     m.initRoot<pitlog::api::CreateRequest>());
  };
  CHECK_FALSE(decode(R"({"name":"n","scopes":["a"]})"));
  CHECK_FALSE(decode(R"({"name":"\u00e9","description":"","scopes":[]})"));
  {
    // \u0000 decodes to a NUL inside the text, for the field's rule to refuse by name.
    capnp::MallocMessageBuilder m;
    auto out = m.initRoot<pitlog::api::CreateRequest>();
    REQUIRE_FALSE(decodeJsonBody<pitlog::api::CreateRequest>(
        renderer.strictCodec(), R"({"name":"a\u0000b","scopes":["a"]})", {"name", "scopes"}, out));
    CHECK(std::string(out.getName().begin(), out.getName().size()) == std::string("a\0b", 3));
  }
  struct Case {
    const char* body;
    const char* field;
  };
  for (const Case& c : {Case{R"({"scopes":["a"]})", "name"}, Case{R"({"name":"n"})", "scopes"},
                        Case{R"({"name":5,"scopes":["a"]})", "name"},
                        Case{R"({"name":null,"scopes":["a"]})", "name"},
                        Case{R"({"name":"n","scopes":"a"})", "scopes"},
                        Case{R"({"name":"n","scopes":[1]})", "scopes"},
                        Case{R"({"name":"n","scopes":["a"],"x":1})", "x"},
                        Case{R"({"name":"n","name":"m","scopes":["a"]})", "name"},
                        Case{R"([1])", ""}, Case{R"({"name":"n")", ""}, Case{R"({}x)", ""},
                        Case{"{\"name\":\"\xff\"}", ""}}) {
    INFO(c.body);
    auto e = decode(c.body);
    REQUIRE(e);
    CHECK(e->code == pitlog::commands::Code::invalidArgument);
    CHECK(e->field == c.field);
  }
}

TEST_CASE("parsePosition: decimal digits that fit in 64 bits, nothing else") {
  using pitlog::server::http::parsePosition;
  CHECK(parsePosition("0") == 0u);
  CHECK(parsePosition("42") == 42u);
  CHECK(parsePosition("007") == 7u);
  CHECK(parsePosition("18446744073709551615") == UINT64_MAX);
  for (const char* bad : {"", " 1", "1 ", "+1", "-1", "1.0", "0x10", "1e3", "18446744073709551616",
                          "99999999999999999999", "000000000000000000001", "1,2", "one"}) {
    INFO(bad);
    CHECK_FALSE(parsePosition(bad));
  }
}
