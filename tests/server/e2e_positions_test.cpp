// X-Pitlog-Position and X-Pitlog-Min-Position on a single node (API.md "Cluster mode": single-node
// too): every mutation names the seq of its last event, a replay the first request's, a
// rejection none; a read waits for a position it has not applied, at most 2 s, then 503.
#include <catch2/catch.hpp>

#include "support/test_server.h"

using namespace pitlog::testing;

namespace {

const std::string kAccount = "acme";

}  // namespace

TEST_CASE("X-Pitlog-Position: each mutation names its last event's seq, a replay the first's, "
          "a rejection none") {
  TestServer s;
  auto created = s.create(kAccount);
  CHECK(created.response.header("x-pitlog-position") == "1");
  const std::string path = integrationsPath(kAccount, created.id);

  auto edited = s.send("PATCH", path, R"({"name":"Zapier 2"})", kAdmin,
                       {{"Idempotency-Key", "edit-1"}});
  REQUIRE(edited.status == 200);
  CHECK(edited.header("x-pitlog-position") == "2");
  // A rotate with `now` writes RotationStarted... and Expired events: its last one.
  auto rotated = s.send("POST", path + "/rotate", R"({"expire":"now"})");
  REQUIRE(rotated.status == 200);
  CHECK(std::stoull(rotated.header("x-pitlog-position")) == s.lastSeq());
  CHECK(s.lastSeq() > 3);

  auto replayed = s.send("PATCH", path, R"({"name":"Zapier 2"})", kAdmin,
                         {{"Idempotency-Key", "edit-1"}});
  REQUIRE(replayed.status == 200);
  CHECK(replayed.header("idempotent-replayed") == "true");
  CHECK(replayed.header("x-pitlog-position") == "2");

  auto stale = s.send("PATCH", path, R"({"name":"late"})", kAdmin, {{"If-Match", "\"1\""}});
  REQUIRE(stale.status == 412);
  CHECK_FALSE(stale.has("x-pitlog-position"));

  auto deleted = s.send("DELETE", path);
  REQUIRE(deleted.status == 204);
  CHECK(std::stoull(deleted.header("x-pitlog-position")) == s.lastSeq());
}

TEST_CASE("X-Pitlog-Min-Position: a position applied answers at once, one ahead waits then 503, "
          "on GETs and introspection") {
  TestServer s;
  auto created = s.create(kAccount);
  const std::string position = created.response.header("x-pitlog-position");
  auto list = s.get(integrationsPath(kAccount), kAdmin, {{"X-Pitlog-Min-Position", position}});
  CHECK(list.status == 200);
  CHECK(s.get(integrationsPath(kAccount), kAdmin, {{"X-Pitlog-Min-Position", "0"}}).status == 200);

  auto ahead = s.get(integrationsPath(kAccount), kAdmin, {{"X-Pitlog-Min-Position", "99"}});
  CHECK(ahead.status == 503);
  CHECK(Json::parse(ahead.body)["error"]["code"].str() == "unavailable");
  auto introspection = s.send("POST", "/v1/introspect", R"({"token":"pit_x"})", std::nullopt,
                              {{"X-Pitlog-Min-Position", "99"}});
  CHECK(introspection.status == 503);

  // Mutations ignore it: they are decided on the log's head whatever the client saw.
  auto edited = s.send("PATCH", integrationsPath(kAccount, created.id), R"({"name":"x"})", kAdmin,
                       {{"X-Pitlog-Min-Position", "99"}});
  CHECK(edited.status == 200);
  // A single node shows no cluster member in /healthz (a cluster node shows it, connected).
  auto health = s.get("/healthz", std::nullopt);
  checkHealthyBody(health.body);
}
