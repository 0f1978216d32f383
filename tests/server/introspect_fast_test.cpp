// The introspection hot path by hand (introspect_fast.h) against the codec path it stands in
// for: the same request read from the same bodies, the same answer bytes; everything else falls
// back.
#include <capnp/message.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "server/api.capnp.h"
#include "server/http/introspect_fast.h"
#include "server/http/json_body.h"
#include "server/http/render.h"

using namespace pitlog::server::http;
using pitlog::commands::Verification;

TEST_CASE("plain introspection bodies read as the strict JSON decoder reads them") {
  Renderer renderer;
  for (const std::string body :
       {R"({"token":"pit_abc"})", R"({"token":""})",
        R"({"token":"pit_abc","requiredScope":"contacts.write"})",
        R"({"requiredScope":"contacts.write","token":"pit_abc"})",
        R"({"token":"a b:c/d?e","requiredScope":""})"}) {
    INFO(body);
    auto plain = parsePlainIntrospectRequest(body);
    REQUIRE(plain);
    capnp::MallocMessageBuilder m;
    auto strict = m.initRoot<pitlog::api::IntrospectRequest>();
    REQUIRE_FALSE(decodeJsonBody<pitlog::api::IntrospectRequest>(renderer.strictCodec(), body,
                                                                 {"token"}, strict));
    CHECK(plain->token == std::string_view(strict.getToken().cStr()));
    CHECK(plain->requiredScope.has_value() == strict.hasRequiredScope());
    if (plain->requiredScope) {
      CHECK(*plain->requiredScope == std::string_view(strict.getRequiredScope().cStr()));
    }
  }
}

TEST_CASE("any other introspection body is left to the strict decoder") {
  for (const std::string& body : std::initializer_list<std::string>{
           "", "{}", R"({ "token":"a"})", R"({"token": "a"})", R"({"token":"a"} )",
        R"({"token":"a\"b"})", R"({"token":"a\\b"})", R"({"token":"\u0041"})",
        "{\"token\":\"\xc3\xa9\"}", R"({"token":"a","token":"b"})", R"({"token":1})",
        R"({"token":null})", R"({"requiredScope":"s"})", R"({"token":"a","x":"y"})",
        R"({"token":"a",})", R"({"token":"a"}x)", R"({"token":"a","requiredScope":"s","token":"b"})",
        R"({"requiredScope":"s","token":"a","requiredScope":"t"})", R"({"token":"a)",
        "{\"token\":\"a\tb\"}", std::string("{\"token\":\"a\0b\"}", 15)}) {
    INFO(body);
    CHECK_FALSE(parsePlainIntrospectRequest(body));
  }
}

TEST_CASE("plain introspection answers are the codec's bytes") {
  Renderer renderer;
  auto set = std::make_shared<const pitlog::projections::ScopeSet>(
      pitlog::projections::ScopeSet{{"contacts.readonly", "contacts.write"},
                                    "contacts.readonly contacts.write"});
  auto grant = std::make_shared<const pitlog::projections::Grant>(
      std::make_shared<const std::string>("acme"), "int_01HX.z:9-a", set);
  Verification inactive;
  Verification active{true, grant, 1'764'384'000'123, std::nullopt, std::nullopt};
  Verification expiring{true, grant, 1'764'384'000'999, 1'765'000'000'000, std::nullopt};
  Verification allowed{true, grant, 0, 253'402'300'799'000, true};
  Verification denied{true, grant, 1'000, std::nullopt, false};
  for (const Verification& v : {inactive, active, expiring, allowed, denied}) {
    auto plain = renderPlainIntrospection(v);
    REQUIRE(plain);
    CHECK(*plain == renderer.introspectionByCodec(v));
    CHECK(renderer.introspection(v) == *plain);
  }
  CHECK(*renderPlainIntrospection(inactive) == R"({"active":false})");
}

TEST_CASE("introspection answers with texts to escape are left to the codec") {
  Renderer renderer;
  auto set = std::make_shared<const pitlog::projections::ScopeSet>(
      pitlog::projections::ScopeSet{{"a\"b"}, "a\"b"});
  auto grant = std::make_shared<const pitlog::projections::Grant>(
      std::make_shared<const std::string>("acme"), "int_1", set);
  Verification v{true, grant, 1'000, std::nullopt, std::nullopt};
  CHECK_FALSE(renderPlainIntrospection(v));
  CHECK(renderer.introspection(v) == renderer.introspectionByCodec(v));
  CHECK(renderer.introspection(v).find(R"("scope":"a\"b")") != std::string::npos);
}
