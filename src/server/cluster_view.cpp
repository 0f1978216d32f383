#include "server/cluster_view.h"

namespace pitlog::server {

std::optional<std::string> ClusterView::failClosedReason() const {
  const cluster::ClusterStatus s = status();
  if (s.fresh) return std::nullopt;
  // The client learns why and that it is temporary; a token revoked elsewhere must not be
  // answered active by a node that may not have heard of the revocation.
  return "node '" + nodeName() + "' is not current with the cluster's log (" +
         (s.reason.empty() ? std::string("behind the stream") : s.reason) + ", last current " +
         std::to_string(s.lagMs) + " ms ago, at most " +
         std::to_string(node_.options().maxStaleness.count()) +
         " ms allowed): it answers again once it has caught up; another node can answer now";
}

}  // namespace pitlog::server
