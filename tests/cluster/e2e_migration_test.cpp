// A single server becomes a cluster (API.md "Cluster mode"): a single-node data dir started with
// --cluster on an empty stream publishes its log (same seqs and hashes) before serving, keeps
// serving what it held, and a second node on an empty data dir catches up to the same chain head.
#include <catch2/catch.hpp>

#include <fstream>

#include "support/http_client.h"
#include "support/json.h"
#include "support/nats_cluster.h"
#include "support/pitd_cluster.h"
#include "support/pitd_process.h"
#include "support/temp_dir.h"

using pitlog::testing::Headers;
using pitlog::testing::httpRequest;
using pitlog::testing::Json;
using pitlog::testing::NatsCluster;
using pitlog::testing::PitdProcess;
using pitlog::testing::redacted;
using pitlog::testing::runCommand;
using pitlog::testing::TempDir;

namespace {

Json checkpointOf(const std::string& dataDir) {
  std::string out;
  REQUIRE(runCommand({PIT_REPLAY_BINARY, "--data", dataDir, "checkpoint"}, &out) == 0);
  return Json::parse(out);
}

}  // namespace

TEST_CASE("a single-node data dir started with --cluster on an empty stream is published, then "
          "served, and a new node catches up to the same head") {
  TempDir dir("pitlog-cluster-e2e");
  const std::string data = dir.sub("single-data");
  const std::string keys = dir.sub("service.keys");
  std::ofstream(keys) << "migration-test-key-0123456789abcdef0123456789\n";
  const Headers h{{"Authorization", "Bearer migration-test-key-0123456789abcdef0123456789"},
                  {"X-Actor-User", "alice"},
                  {"X-Actor-Role", "admin"},
                  {"Content-Type", "application/json"}};
  const std::string list = "/v1/accounts/acme/integrations";
  const std::vector<std::string> common = {"--http", "127.0.0.1:0", "--rpc", "off",
                                           "--service-keys", keys};

  // A single node's history: creates, an edit, a rotation.
  std::vector<std::string> ids;
  {
    std::vector<std::string> args = {"--data", data};
    args.insert(args.end(), common.begin(), common.end());
    PitdProcess single(dir.sub("single.log"), args);
    for (int i = 0; i < 5; ++i) {
      auto r = httpRequest(single.port(), "POST", list, h,
                           R"({"name":"n)" + std::to_string(i) + R"(","scopes":["contacts.readonly"]})");
      INFO(redacted(r.body));
      REQUIRE(r.status == 201);
      ids.push_back(Json::parse(r.body)["integration"]["id"].str());
    }
    REQUIRE(httpRequest(single.port(), "PATCH", list + "/" + ids[0], h, R"({"name":"edited"})").status == 200);
    REQUIRE(httpRequest(single.port(), "POST", list + "/" + ids[1] + "/rotate", h,
                        R"({"expire":"now"})").status == 200);
    REQUIRE(single.stop() == 0);
  }
  const Json before = checkpointOf(data);

  NatsCluster nats(dir.path(), 1);
  auto clusterArgs = [&](const std::string& dataDir, const std::string& name) {
    std::vector<std::string> args = {"--data", dataDir, "--cluster", nats.url(0),
                                     "--cluster-replicas", "1", "--node-name", name};
    args.insert(args.end(), common.begin(), common.end());
    return args;
  };
  PitdProcess migrated(dir.sub("migrated.log"), clusterArgs(data, "first"));
  // It serves what it held, at the same seq, and writes on top of it.
  auto got = httpRequest(migrated.port(), "GET", list + "/" + ids[0], h);
  REQUIRE(got.status == 200);
  CHECK(Json::parse(got.body)["integration"]["name"].str() == "edited");
  auto health = Json::parse(httpRequest(migrated.port(), "GET", "/healthz").body);
  CHECK(health["cluster"]["position"].num() == before["seq"].num());
  auto created = httpRequest(migrated.port(), "POST", list, h,
                             R"({"name":"after","scopes":["contacts.readonly"]})");
  REQUIRE(created.status == 201);
  const uint64_t last = std::stoull(created.header("x-pitlog-position"));
  CHECK(last == static_cast<uint64_t>(before["seq"].num()) + 1);

  // A new node on an empty data dir catches up from the stream alone.
  const std::string fresh = dir.sub("fresh-data");
  PitdProcess second(dir.sub("second.log"), clusterArgs(fresh, "second"));
  auto read = httpRequest(second.port(), "GET", list,
                          [&] { auto x = h; x.emplace_back("X-Pitlog-Min-Position", std::to_string(last)); return x; }());
  INFO(pitlog::testing::readFile(dir.sub("second.log")));
  REQUIRE(read.status == 200);
  CHECK(Json::parse(read.body)["integrations"].size() == 6);
  REQUIRE(migrated.stop() == 0);
  REQUIRE(second.stop() == 0);
  // The migrated log kept its seqs and hashes; both data dirs end at the same verified head.
  for (const auto& d : {data, fresh}) {
    std::string out;
    INFO(d << ": " << out);
    CHECK(runCommand({PIT_REPLAY_BINARY, "--data", d, "verify"}, &out) == 0);
  }
  // The fresh node holds the migrated event at the seq it had, with its hash: published as it was.
  const std::string seq = std::to_string(static_cast<uint64_t>(before["seq"].num()));
  std::string out;
  REQUIRE(runCommand({PIT_DUMP_BINARY, "--data", fresh, "--format", "json", "--from", seq, "--to",
                      seq}, &out) == 0);
  CHECK(Json::parse(out)["hash"].str() == before["hash"].str());
  const Json a = checkpointOf(data), b = checkpointOf(fresh);
  CHECK(a["seq"].num() == static_cast<double>(last));
  CHECK(a["hash"].str() == b["hash"].str());
  CHECK(b["seq"].num() == static_cast<double>(last));
}
