#pragma once
// What pitd's front-ends read of the node's cluster membership (API.md "Cluster mode"): its name
// and status for /healthz and /metrics, and the fail-closed rule that introspection and
// mutations apply. main makes one only with --cluster; a single node has none, and every front-end
// treats "no ClusterView" as "always fresh", so single-node mode runs no cluster code.
//
// Thread-safety: every method may be called from any thread (ClusterNode::status is).
#include <optional>
#include <string>

#include "cluster/cluster_node.h"
#include "commands/engine.h"

namespace pitlog::server {

class ClusterView {
 public:
  // Neither is owned; both outlive the view.
  ClusterView(const cluster::ClusterNode& node, const commands::Engine& engine)
      : node_(node), engine_(engine) {}

  const std::string& nodeName() const { return node_.options().nodeName; }
  cluster::ClusterStatus status() const { return node_.status(engine_.appliedPosition()); }
  // The seq of the last event the node applied: the number X-Pitlog-Position speaks of.
  uint64_t position() const { return engine_.lastSeq(); }

  // Why the node must not answer introspection or mutations now (it is not known to hold what
  // the stream held --max-staleness ago); nullopt while it is fresh.
  std::optional<std::string> failClosedReason() const;

 private:
  const cluster::ClusterNode& node_;
  const commands::Engine& engine_;
};

}  // namespace pitlog::server
