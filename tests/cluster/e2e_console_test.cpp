// The admin console on a cluster (API.md "Admin console": sessions hold in a cluster on any node),
// as a browser behind a load balancer meets it: three pitd nodes on one stream. A link issued
// through node 1 signs in on node 2, the cookie then works on node 3, signing out on node 2 ends it
// on node 1, a used code fails on every node; and a node that cannot reach NATS answers console
// requests 503 unavailable, never "signed out" and never "signed in".
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>

#include "support/http_client.h"
#include "support/json.h"
#include "support/nats_cluster.h"
#include "support/pitd_cluster.h"
#include "support/temp_dir.h"

using pitlog::testing::Headers;
using pitlog::testing::httpRequest;
using pitlog::testing::HttpResponse;
using pitlog::testing::Json;
using pitlog::testing::NatsCluster;
using pitlog::testing::PitdCluster;
using pitlog::testing::TempDir;

namespace {

// The sign-in link's path and query, issued through node i for alice, admin of acme.
std::string issueLink(const PitdCluster& nodes, int i) {
  auto link = nodes.send(i, "POST", "/v1/accounts/acme/console/links");
  REQUIRE(link.status == 201);
  const std::string url = Json::parse(link.body)["url"].str();
  REQUIRE(url.rfind("/console/signin?code=", 0) == 0);
  return url;
}

// The session cookie ("pitlog_console=…") a 303 from /console/signin sets.
std::string cookieOf(const HttpResponse& signIn) {
  const std::string setCookie = signIn.header("set-cookie");
  return setCookie.substr(0, setCookie.find(';'));
}

// A request as the console's page makes it: the cookie and X-Pitlog-Console, no service key.
HttpResponse asConsole(const PitdCluster& nodes, int i, const std::string& method,
                       const std::string& target, const std::string& cookie) {
  return httpRequest(nodes.port(i), method, target,
                     Headers{{"Cookie", cookie}, {"X-Pitlog-Console", "1"}});
}

}  // namespace

TEST_CASE("a console link issued through one node signs in on another, its cookie works on a "
          "third, sign-out on one ends it on all, a used code fails on every node") {
  TempDir dir("pitlog-cluster-e2e");
  NatsCluster nats(dir.path(), 1);
  PitdCluster nodes(dir.path(), nats, 3, {}, 1);
  REQUIRE(nodes.create(0, "acme", "shown in the console").status == 201);

  const std::string url = issueLink(nodes, 0);
  auto signIn = httpRequest(nodes.port(1), "GET", url);
  REQUIRE(signIn.status == 303);
  const std::string cookie = cookieOf(signIn);
  REQUIRE(cookie.rfind("pitlog_console=", 0) == 0);

  auto session = asConsole(nodes, 2, "GET", "/console/session", cookie);
  REQUIRE(session.status == 200);
  CHECK(Json::parse(session.body)["userId"].str() == "alice");
  nodes.waitForPosition(1);
  auto list = asConsole(nodes, 2, "GET", "/v1/accounts/acme/integrations", cookie);
  REQUIRE(list.status == 200);
  CHECK(Json::parse(list.body)["integrations"].size() == 1);
  CHECK(asConsole(nodes, 0, "GET", "/console/session", cookie).status == 200);

  for (int i = 0; i < nodes.size(); ++i) {
    INFO("node " << i);
    auto again = httpRequest(nodes.port(i), "GET", url);
    CHECK(again.status == 401);
    CHECK_FALSE(again.has("set-cookie"));
  }

  CHECK(asConsole(nodes, 1, "POST", "/console/signout", cookie).status == 204);
  for (int i = 0; i < nodes.size(); ++i) {
    INFO("node " << i);
    CHECK(asConsole(nodes, i, "GET", "/console/session", cookie).status == 401);
    CHECK(asConsole(nodes, i, "GET", "/v1/accounts/acme/integrations", cookie).status == 401);
  }
  nodes.stopAndVerifyAll();
}

TEST_CASE("a cluster node that cannot reach NATS answers console requests 503 unavailable, then "
          "serves the same session once NATS is back") {
  TempDir dir("pitlog-cluster-e2e");
  NatsCluster nats(dir.path(), 1);
  PitdCluster nodes(dir.path(), nats, 1, {}, 1);
  auto signIn = httpRequest(nodes.port(0), "GET", issueLink(nodes, 0));
  REQUIRE(signIn.status == 303);
  const std::string cookie = cookieOf(signIn);
  const std::string unusedLink = issueLink(nodes, 0);

  nats.kill(0);
  // Polled: the node notices the lost connection in its own time.
  HttpResponse refused;
  for (int tries = 0; tries < 600; ++tries) {
    refused = asConsole(nodes, 0, "GET", "/console/session", cookie);
    if (refused.status != 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(refused.status == 503);
  CHECK(Json::parse(refused.body)["error"]["code"].str() == "unavailable");
  auto api = asConsole(nodes, 0, "GET", "/v1/accounts/acme/integrations", cookie);
  CHECK(api.status == 503);
  CHECK(Json::parse(api.body)["error"]["code"].str() == "unavailable");
  auto redeem = httpRequest(nodes.port(0), "GET", unusedLink);
  CHECK(redeem.status == 503);
  CHECK_FALSE(redeem.has("set-cookie"));
  CHECK(asConsole(nodes, 0, "POST", "/console/signout", cookie).status == 503);

  nats.restart(0);
  HttpResponse back;
  for (int tries = 0; tries < 600; ++tries) {
    back = asConsole(nodes, 0, "GET", "/console/session", cookie);
    if (back.status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(back.status == 200);
  CHECK(httpRequest(nodes.port(0), "GET", unusedLink).status == 303);  // not spent meanwhile
}
