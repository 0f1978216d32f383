// One rule decides what an integration offers at a moment (projections::stateAt): the valid
// tokens and the pending rotation. This test holds four answers to it together over a randomized
// history, at every event boundary and every rotation deadline, exactly and ±1 ms:
//   - pit-replay as-of --at T --format json, reading the database beside the live engine;
//   - GET …?asOf=T: the engine's integrationAsOf() rendered by the HTTP renderer, as the handler
//     does (integration_handlers.cpp);
//   - the RPC get with asOf = T, over a real socket (the RPC test harness);
//   - an independent fold of the integration's events as RPC lists them, written here from
//     API.md, sharing no code with apply().
#include <capnp/compat/json.h>
#include <capnp/message.h>

#include <catch2/catch.hpp>

#include <random>
#include <set>

#include "events/time_format.h"
#include "pit_replay.h"
#include "server/http/render.h"
#include "server/rpc/rpc_harness.h"
#include "tool_fixture.h"

namespace pitlog::tools::testing {
namespace {

namespace rpct = pitlog::rpc::testing;
using events::UnixMillis;

constexpr int64_t kWindow = 2 * kDay;

// What the four answers are compared on.
struct Answer {
  bool exists = false;
  std::string status;
  std::set<std::string> tokenIds;
  std::string previousExpiresAt;  // of the pending rotation; empty: none pending
  bool operator==(const Answer&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Answer& a) {
  if (!a.exists) return os << "(absent)";
  os << a.status << " tokens {";
  for (const auto& t : a.tokenIds) os << ' ' << t;
  return os << " } rotation " << (a.previousExpiresAt.empty() ? "null" : a.previousExpiresAt);
}

capnp::JsonValue::Reader member(capnp::JsonValue::Reader object, const char* name) {
  for (auto f : object.getObject()) {
    if (f.getName() == name) return f.getValue();
  }
  FAIL("no field " << name);
  return {};
}

// API.md's integration JSON (HTTP's and the tool's share it).
Answer fromJson(capnp::JsonValue::Reader integration) {
  Answer a;
  a.exists = true;
  a.status = member(integration, "status").getString();
  for (auto t : member(integration, "tokens").getArray()) {
    a.tokenIds.insert(member(t, "tokenId").getString());
  }
  auto rotation = member(integration, "rotation");
  if (rotation.isObject()) a.previousExpiresAt = member(rotation, "previousExpiresAt").getString();
  return a;
}

Answer parseJson(const std::string& text, const char* list) {
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<capnp::JsonValue>();
  capnp::JsonCodec().decodeRaw(kj::ArrayPtr<const char>(text.data(), text.size()), root);
  auto object = member(root.asReader(), list);
  if (object.isArray()) {
    if (object.getArray().size() == 0) return {};
    return fromJson(object.getArray()[0]);
  }
  return fromJson(object);
}

Answer byHttp(rpct::Harness& h, const server::http::Renderer& renderer, const std::string& id,
              UnixMillis t) {
  auto view = h.engine().integrationAsOf("acme", id, t);
  if (!view) return {};
  return parseJson(renderer.integration(*view, t), "integration");
}

Answer byRpc(rpct::Harness& h, const std::string& id, UnixMillis t) {
  auto reply = h.get(rpct::admin(), id, events::formatRfc3339(t));
  if (reply.code == "not_found") return {};
  REQUIRE(reply.ok());
  Answer a;
  a.exists = true;
  a.status = reply.integration.status;
  for (const auto& token : reply.integration.tokens) a.tokenIds.insert(token.tokenId);
  a.previousExpiresAt = reply.integration.rotationPreviousExpiresAt.value_or("");
  return a;
}

Answer byTool(const std::string& dataDir, const std::string& id, UnixMillis t) {
  auto run = replay({"--data", dataDir, "as-of", "--at", events::formatRfc3339(t), "--integration",
                     id, "--format", "json"});
  INFO(run.err);
  REQUIRE(run.code == kExitOk);
  return parseJson(run.out, "integrations");
}

// The independent fold, from API.md's event shapes.
Answer byFold(const std::vector<rpct::Event>& events, UnixMillis t) {
  Answer a;
  std::map<std::string, std::optional<UnixMillis>> tokens;  // tokenId -> expiresAt
  std::optional<UnixMillis> rotationEnds;
  bool deleted = false;
  for (const auto& e : events) {
    if (*events::parseRfc3339(e.at) > t) break;
    a.exists = true;
    if (e.type == "Created") {
      tokens[e.tokenIds.at(0)] = std::nullopt;
    } else if (e.type == "RotationStarted") {
      const auto ends = *events::parseRfc3339(e.previousExpiresAt);
      tokens[e.tokenIds.at(0)] = std::nullopt;
      tokens[e.tokenIds.at(1)] = ends;
      rotationEnds = ends;
    } else if (e.type == "RotationCancelled") {
      tokens.erase(e.tokenIds.at(0));
      tokens[e.tokenIds.at(1)] = std::nullopt;
      rotationEnds.reset();
    } else if (e.type == "Expired") {
      tokens.erase(e.tokenIds.at(0));
      rotationEnds.reset();
    } else if (e.type == "Deleted") {
      deleted = true;
    }
  }
  // A deleted integration is not found as of any later moment (API.md), nor listed by the tool.
  if (!a.exists || deleted) return {};
  a.status = "active";
  for (const auto& [id, expires] : tokens) {
    if (!expires || t < *expires) a.tokenIds.insert(id);
  }
  if (rotationEnds && t < *rotationEnds) a.previousExpiresAt = events::formatRfc3339(*rotationEnds);
  return a;
}

}  // namespace

TEST_CASE("as-of: the tool, HTTP, RPC and an independent fold agree at every boundary ±1 ms",
          "[pit-replay][as-of][agreement]") {
  const uint32_t seed = Catch::rngSeed() != 0 ? Catch::rngSeed() : 20261128;
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  rpct::Harness h(kWindow);
  server::http::Renderer renderer;

  auto created = h.create(rpct::admin(), "agreement", {"contacts.readonly"});
  REQUIRE(created.ok());
  const std::string id = created.integration.id;
  // Random commands at random gaps; the scheduler's tick (which writes Expired) runs only now
  // and then, so that rotations stay open in the view past their deadline, as they do live.
  for (int step = 0; step < 14; ++step) {
    h.advance(std::uniform_int_distribution<int64_t>(1, 3 * kDay)(rng));
    switch (std::uniform_int_distribution<int>(0, 5)(rng)) {
      case 0: h.rotate(rpct::admin(), id, rpc::schema::Expire::LATER); break;
      case 1: h.rotate(rpct::admin(), id, rpc::schema::Expire::NOW); break;
      case 2: h.cancelRotation(rpct::admin(), id); break;
      case 3: h.expireNow(rpct::admin(), id); break;
      case 4: h.edit(rpct::admin(), id, "renamed " + std::to_string(step)); break;
      default:
        h.engine().scheduleDueExpiries();
        h.settle();
        break;
    }
  }
  h.advance(kHour);
  REQUIRE(h.remove(rpct::admin(), id).ok());
  const auto history = h.events(rpct::admin(), id);
  REQUIRE(history.ok());

  std::set<UnixMillis> moments;
  for (const auto& e : history.events) {
    const UnixMillis at = *events::parseRfc3339(e.at);
    moments.insert({at - 1, at, at + 1});
    if (!e.previousExpiresAt.empty()) {
      auto ends = *events::parseRfc3339(e.previousExpiresAt);
      moments.insert({ends - 1, ends, ends + 1});
    }
  }
  size_t pending = 0;
  for (UnixMillis t : moments) {
    INFO("at " << events::formatRfc3339(t));
    const Answer fold = byFold(history.events, t);
    CHECK(byHttp(h, renderer, id, t) == fold);
    CHECK(byRpc(h, id, t) == fold);
    CHECK(byTool(h.dataDir(), id, t) == fold);
    if (!fold.previousExpiresAt.empty()) pending++;
  }
  // The history must have exercised what this test is about.
  CHECK(pending > 0);
  CHECK(moments.size() > 20);
}

}  // namespace pitlog::tools::testing
