// eventToJson(): API.md's `event` shape, field for field, for every event type.
#include <capnp/compat/json.h>
#include <capnp/message.h>

#include <catch2/catch.hpp>

#include "events/event.h"
#include "events/event_json.h"

namespace pitlog::events {
namespace {

Digest digestOf(uint8_t first) {
  Digest d{};
  for (size_t i = 0; i < d.size(); ++i) d[i] = static_cast<uint8_t>(first + i);
  return d;
}

Envelope envelope(uint64_t seq, Actor actor) {
  Envelope env;
  env.seq = seq;
  env.streamVersion = 2;
  for (size_t i = 0; i < env.eventId.size(); ++i) env.eventId[i] = static_cast<uint8_t>(0xa0 + i);
  env.at = *parseRfc3339("2026-11-28T17:00:00.123Z");
  env.actor = std::move(actor);
  env.requestId = "req-1";
  env.prevHash = digestOf(0x10);
  return env;
}

DecodedEvent makeEvent(Body body, Actor actor = {"acct-1", "alice", Role::admin},
                       uint64_t seq = 7) {
  NewEvent e{"int-1", "acct-1", std::move(body)};
  std::string error;
  auto decoded = DecodedEvent::decode(encodeEvent(e, envelope(seq, std::move(actor))), &error);
  REQUIRE(decoded);
  return std::move(*decoded);
}

// The envelope around `data`, exactly as API.md orders it.
std::string expected(const DecodedEvent& e, const std::string& actor, const std::string& type,
                     const std::string& data) {
  return R"({"seq":7,"streamId":"int-1","streamVersion":2,)"
         R"("eventId":"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf","at":"2026-11-28T17:00:00.123Z",)"
         R"("actor":)" + actor + R"(,"requestId":"req-1","type":")" + type + R"(","data":)" + data +
         R"(,"prevHash":"101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f",)"
         R"("hash":")" + toHex(e.hash()) + R"("})";
}

const std::string kAdmin = R"({"accountId":"acct-1","userId":"alice","role":"admin"})";

}  // namespace

TEST_CASE("eventToJson renders each event type in API.md's shape", "[event_json]") {
  SECTION("Created names its token by tokenId and hint, never more") {
    auto e = makeEvent(body::Created{"CRM sync", "pushes \"leads\"", {"a.read", "b.write"},
                                     digestOf(0x40), "AbCd"});
    auto json = eventToJson(e);
    CHECK(json == expected(e, kAdmin, "Created",
                           R"({"name":"CRM sync","description":"pushes \"leads\"",)"
                           R"("scopes":["a.read","b.write"],"tokenId":"4041424344454647",)"
                           R"("tokenHint":"AbCd"})"));
    // Only the 16-digit tokenId of the digest appears, not the whole digest.
    CHECK(json.find(toHex(digestOf(0x40))) == std::string::npos);
  }
  SECTION("ScopesUpdated") {
    auto e = makeEvent(body::ScopesUpdated{"n", "", {"x"}});
    CHECK(eventToJson(e) ==
          expected(e, kAdmin, "ScopesUpdated", R"({"name":"n","description":"","scopes":["x"]})"));
  }
  SECTION("RotationStarted") {
    auto e = makeEvent(body::RotationStarted{digestOf(0x50), digestOf(0x40),
                                             *parseRfc3339("2026-12-05T17:00:00.123Z"), false,
                                             "WxYz"});
    CHECK(eventToJson(e) ==
          expected(e, kAdmin, "RotationStarted",
                   R"({"tokenId":"5051525354555657","previousTokenId":"4041424344454647",)"
                   R"("previousExpiresAt":"2026-12-05T17:00:00.123Z","expireNow":false,)"
                   R"("tokenHint":"WxYz"})"));
  }
  SECTION("RotationCancelled") {
    auto e = makeEvent(body::RotationCancelled{digestOf(0x50), digestOf(0x40)});
    CHECK(eventToJson(e) == expected(e, kAdmin, "RotationCancelled",
                                     R"({"cancelledTokenId":"5051525354555657",)"
                                     R"("restoredTokenId":"4041424344454647"})"));
  }
  SECTION("Expired, with each reason, by the system actor") {
    const std::string system = R"({"userId":"system","role":"system"})";
    auto reason = GENERATE(std::make_pair(ExpiryReason::manual, "manual"),
                           std::make_pair(ExpiryReason::windowElapsed, "window_elapsed"),
                           std::make_pair(ExpiryReason::rotatedNow, "rotated_now"),
                           std::make_pair(ExpiryReason::revoked, "revoked"));
    auto e = makeEvent(body::Expired{digestOf(0x40), reason.first, std::nullopt}, Actor::system());
    CHECK(eventToJson(e) ==
          expected(e, system, "Expired",
                   std::string(R"({"tokenId":"4041424344454647","reason":")") + reason.second +
                       "\"}"));
  }
  SECTION("Expired by revocation carries its source and the revocation actor") {
    auto e = makeEvent(body::Expired{digestOf(0x40), ExpiryReason::revoked, "a \"paste\""},
                       Actor{"", "revocation", Role::system});
    CHECK(eventToJson(e) ==
          expected(e, R"({"userId":"revocation","role":"system"})", "Expired",
                   R"({"tokenId":"4041424344454647","reason":"revoked","source":"a \"paste\""})"));
  }
  SECTION("Deleted has an empty data object") {
    auto e = makeEvent(body::Deleted{});
    CHECK(eventToJson(e) == expected(e, kAdmin, "Deleted", "{}"));
  }
  SECTION("PermissionChanged keeps allowed even when false") {
    auto e = makeEvent(body::PermissionChanged{"bob", false},
                       Actor{"acct-1", "carol", Role::user});
    CHECK(eventToJson(e) ==
          expected(e, R"({"accountId":"acct-1","userId":"carol","role":"user"})",
                   "PermissionChanged", R"({"userId":"bob","allowed":false})"));
  }
}

TEST_CASE("eventToJson output parses back as JSON with numeric seq", "[event_json]") {
  auto e = makeEvent(body::Deleted{}, {"acct-1", "alice", Role::admin}, 4000000000u);
  auto text = eventToJson(e);
  CHECK(text.find('\n') == std::string::npos);
  capnp::JsonCodec codec;
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<capnp::JsonValue>();
  codec.decodeRaw(kj::StringPtr(text.c_str()), root);
  REQUIRE(root.isObject());
  std::vector<std::string> names;
  for (auto field : root.getObject()) {
    names.emplace_back(field.getName().cStr());
    if (names.back() == "seq") {
      REQUIRE(field.getValue().isNumber());
      CHECK(field.getValue().getNumber() == 4000000000.0);
    }
    if (names.back() == "streamVersion") CHECK(field.getValue().isNumber());
  }
  CHECK(names == std::vector<std::string>{"seq", "streamId", "streamVersion", "eventId", "at",
                                          "actor", "requestId", "type", "data", "prevHash",
                                          "hash"});
}

}  // namespace pitlog::events
