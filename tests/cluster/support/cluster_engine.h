#pragma once
// A pitd node in cluster mode for the engine-level cluster tests: a ClusterNode on the test's
// nats-servers and an engine whose log it opened, as pitd's main wires them.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "cluster/cluster_node.h"
#include "commands/engine.h"
#include "support/nats_cluster.h"

namespace pitlog::testing {

// One replica (the tests' clusters are mostly one server), the given stream and node name.
cluster::ClusterOptions clusterOptions(const NatsCluster& nats, const std::string& nodeName,
                                       const std::string& stream);

struct ClusterEngine {
  std::unique_ptr<cluster::ClusterNode> cluster;
  std::unique_ptr<commands::Engine> engine;
  // Connects (ClusterNode::connect) and opens an engine on `engineOptions` (dataDir, clock...)
  // with the node's log and last-use store. Throws as those do.
  ClusterEngine(const cluster::ClusterOptions& options, commands::EngineOptions engineOptions);
  ~ClusterEngine() { engine.reset(); }  // the engine (and its follower) before the connection
  cluster::ClusterStatus status() const { return cluster->status(engine->appliedPosition()); }
};

// Polls `condition` every 10 ms until it holds or `limit` passes; returns its last value.
template <typename Condition>
bool eventually(Condition condition, std::chrono::seconds limit = std::chrono::seconds(30)) {
  const auto giveUp = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < giveUp) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

}  // namespace pitlog::testing
