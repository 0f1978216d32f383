// The RPC port of a node cut off from the stream fails closed as its HTTP port does (API.md
// "Cluster mode"): after --max-staleness introspection answers inactive with `unavailable` and
// mutations `unavailable`, changing nothing; once the stream is back it serves again by itself.
// The cut is e2e_faults_test's: the only NATS server the node knows is stopped with SIGSTOP.
#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <string>
#include <thread>

#include "server/rpc/rpc_client.h"
#include "support/http_client.h"
#include "support/json.h"
#include "support/nats_cluster.h"
#include "support/pitd_cluster.h"
#include "support/temp_dir.h"

using pitlog::testing::Json;
using pitlog::testing::NatsCluster;
using pitlog::testing::NodeOptions;
using pitlog::testing::PitdCluster;
using pitlog::testing::TempDir;

namespace {

// One answer of the RPC port: `active` and, when the call was refused, its error code.
struct RpcAnswer {
  bool active = false;
  std::string error;
};

// Each call on a fresh connection and session, as a gateway after a reconnect would make it.
class RpcCalls {
 public:
  RpcCalls(int port, std::string key)
      : io_(kj::setupAsyncIo()), address_("127.0.0.1:" + std::to_string(port)), key_(key) {}

  RpcAnswer introspect(const std::string& token) {
    return call([&](pitlog::rpc::schema::Session::Client& session) {
      auto req = session.introspectRequest();
      req.setToken(token);
      req.initRequiredScope().setNone();
      auto res = req.send().wait(io_.waitScope);
      auto r = res.getResult();
      return RpcAnswer{r.getActive(), r.hasError() ? std::string(r.getError().getCode()) : ""};
    });
  }

  // edit of the integration's name: its error code, "" when it was applied.
  std::string rename(const std::string& id, const std::string& name) {
    return call([&](pitlog::rpc::schema::Session::Client& session) {
      auto req = session.editRequest();
      auto actor = req.initActor();
      actor.setAccountId("acme");
      actor.setUserId("alice");
      actor.setRole(pitlog::rpc::schema::Actor::Role::ADMIN);
      req.initOptions();
      req.setIntegrationId(id);
      req.initName().setValue(name);
      auto res = req.send().wait(io_.waitScope);
      auto r = res.getResult();
      return RpcAnswer{false, r.isError() ? std::string(r.getError().getCode()) : ""};
    }).error;
  }

  // revoke of one token: its error code, "" when it was answered.
  std::string revoke(const std::string& token) {
    return call([&](pitlog::rpc::schema::Session::Client& session) {
      auto req = session.revokeRequest();
      req.initTokens(1).set(0, token);
      req.initSource().setNone();
      auto res = req.send().wait(io_.waitScope);
      auto r = res.getResult();
      return RpcAnswer{false, r.isError() ? std::string(r.getError().getCode()) : ""};
    }).error;
  }

 private:
  template <typename F>
  RpcAnswer call(F&& f) {
    auto client = pitlog::rpc::RpcClient::connect(io_.provider->getNetwork(), address_)
                      .wait(io_.waitScope);
    auto login = client->login(key_).wait(io_.waitScope);
    KJ_IF_MAYBE (session, login.session) {
      return f(*session);
    }
    FAIL("login refused: " << login.error.code);
    return {};
  }

  kj::AsyncIoContext io_;
  std::string address_, key_;
};

}  // namespace

TEST_CASE("the RPC port of a node cut off from the stream fails closed: introspection and "
          "mutations unavailable, nothing changed - once back it serves again") {
  TempDir dir("pitlog-cluster-e2e");
  NatsCluster nats(dir.path(), 1);
  NodeOptions withRpc;
  withRpc.rpc = true;
  PitdCluster nodes(dir.path(), nats, 1, {withRpc}, 1);
  auto created = nodes.create(0, "acme", "watched");
  REQUIRE(created.status == 201);
  const auto body = Json::parse(created.body);
  const std::string token = body["token"].str();
  const std::string id = body["integration"]["id"].str();
  const uint64_t before = nodes.position(0);

  RpcCalls rpc(nodes.rpcPort(0), nodes.key());
  REQUIRE(rpc.introspect(token).active);
  REQUIRE(rpc.introspect(token).error.empty());

  // The cut: the node's only server stops with its connections open, as behind a partition.
  ::kill(nats.pid(0), SIGSTOP);
  const auto cut = std::chrono::steady_clock::now();
  // Within --max-staleness (1 s) plus the follower's poll the node fails closed (polled: the
  // moment is the node's to pick, the test only bounds it generously).
  RpcAnswer refused;
  for (;;) {
    refused = rpc.introspect(token);
    if (!refused.error.empty()) break;
    REQUIRE(refused.active);
    REQUIRE(std::chrono::steady_clock::now() - cut < std::chrono::seconds(20));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(refused.error == "unavailable");
  CHECK_FALSE(refused.active);
  CHECK(rpc.rename(id, "from the cut-off node") == "unavailable");
  CHECK(rpc.revoke(token) == "unavailable");  // a revocation it cannot make durable: retry elsewhere
  CHECK(pitlog::testing::httpRequest(nodes.port(0), "GET", "/healthz").status == 503);

  ::kill(nats.pid(0), SIGCONT);
  RpcAnswer back;
  for (const auto resumed = std::chrono::steady_clock::now();;) {
    back = rpc.introspect(token);
    if (back.error.empty()) break;
    REQUIRE(std::chrono::steady_clock::now() - resumed < std::chrono::seconds(30));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(back.active);
  // The refused edit changed nothing: the log is where it was and the name unchanged.
  CHECK(nodes.position(0) == before);
  auto got = nodes.get(0, "/v1/accounts/acme/integrations/" + id);
  REQUIRE(got.status == 200);
  CHECK(Json::parse(got.body)["integration"]["name"].str() == "watched");
  CHECK(rpc.rename(id, "served again") == "");
  CHECK(rpc.revoke(token) == "");
  CHECK_FALSE(rpc.introspect(token).active);
}
