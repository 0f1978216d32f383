#pragma once
// Real pitd nodes in cluster mode for the end-to-end tests: N pitd processes on free loopback
// ports, each with its own data dir and log, all on one stream of a NatsCluster, sharing one
// service key. Nodes are started, stopped (SIGTERM), killed (SIGKILL) and restarted by PID
// (support/pitd_process.h); the destructor kills what is still running. Plus the requests the
// tests repeat, and the end-of-test check that every node's data dir holds the same verified log.
// Plaintext tokens are returned to the test, never printed (redacted()).
//
// Not thread-safe, except port() and the request helpers (get, send, create, introspect), which
// other threads may call while the test thread stops and starts nodes.
#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/http_client.h"
#include "support/json.h"
#include "support/nats_cluster.h"
#include "support/pitd_process.h"

namespace pitlog::testing {

struct NodeOptions {
  static NodeOptions knowing(std::vector<int> servers) {
    NodeOptions o;
    o.servers = std::move(servers);
    return o;
  }
  // The NATS servers the node knows (indexes into the NatsCluster); empty: all of them, its "own"
  // server (node i % size) first.
  std::vector<int> servers;
  std::string maxStaleness = "1s";
  bool rpc = false;  // also listen on an RPC port (--rpc 127.0.0.1:0), see rpcPort()
  std::vector<std::string> extraArgs;
};

class PitdCluster {
 public:
  // Starts `nodes` nodes (options per node, or defaults) and waits until each serves (/healthz
  // 200: current with the stream).
  PitdCluster(const std::filesystem::path& dir, NatsCluster& nats, int nodes,
              std::vector<NodeOptions> options = {}, int replicas = 3);
  ~PitdCluster();
  PitdCluster(const PitdCluster&) = delete;
  PitdCluster& operator=(const PitdCluster&) = delete;

  int size() const { return int(nodes_.size()); }
  // Node i's HTTP port: chosen by pitd at its first start, kept across restarts (so that clients
  // on other threads may go on using it while the node is down: their requests fail).
  int port(int i) const { return ports_.at(size_t(i))->load(); }
  bool running(int i) const { return nodes_.at(i).process && nodes_.at(i).process->running(); }
  std::string name(int i) const { return nodes_.at(i).name; }
  // Node i's RPC port, from its last "listening rpc" line (a node started with options.rpc).
  int rpcPort(int i) const;
  std::string dataDir(int i) const { return nodes_.at(i).dataDir.string(); }
  std::string log(int i) const { return readFile(nodes_.at(i).logFile.string()); }
  const std::string& key() const { return key_; }
  const std::string& keyFile() const { return keyFile_; }

  void start(int i);  // and waits until it serves, as the constructor does
  int stop(int i);  // SIGTERM; the exit status
  void kill(int i);  // SIGKILL: no drain, no flush

  // Service key plus X-Actor-User alice / X-Actor-Role admin when `actor`, plus `extra`.
  Headers headers(bool actor = true, const Headers& extra = {}) const;
  HttpResponse get(int i, const std::string& target, const Headers& extra = {}) const;
  // With Content-Type: application/json when the body is not empty; actor headers included.
  HttpResponse send(int i, const std::string& method, const std::string& target,
                    const std::string& body = {}, const Headers& extra = {}) const;
  // POST /v1/accounts/{account}/integrations on node i: the response (not checked).
  HttpResponse create(int i, const std::string& account, const std::string& name,
                      const Headers& extra = {}) const;
  // POST /v1/introspect on node i (JSON body): the response (not checked).
  HttpResponse introspect(int i, const std::string& token, const Headers& extra = {}) const;

  // GET /healthz's "cluster" member on node i.
  Json health(int i) const;
  // The seq of the last event node i applied (/healthz "cluster.position").
  uint64_t position(int i) const;
  // Waits (30 s at most, else a test failure) until every running node has applied `seq`.
  void waitForPosition(uint64_t seq) const;

  // Stops every node still running (SIGTERM, exit 0 required), then checks each data dir with
  // `pit-replay verify` and that their logs are prefixes of one another (the same chain head at
  // the shortest one's end: a node's scheduler may write an Expired after another node stopped).
  // The shortest log's last seq.
  uint64_t stopAndVerifyAll();

 private:
  struct Node {
    std::string name;
    std::filesystem::path dataDir, logFile;
    std::vector<std::string> args;
    std::unique_ptr<PitdProcess> process;
  };

  NatsCluster& nats_;
  std::vector<Node> nodes_;
  std::vector<std::unique_ptr<std::atomic<int>>> ports_;
  std::string key_, keyFile_;
};

// The output of a command run to completion (stdout and stderr), and its exit status.
int runCommand(const std::vector<std::string>& argv, std::string* out);

}  // namespace pitlog::testing
