#include "support/cluster_engine.h"

namespace pitlog::testing {

cluster::ClusterOptions clusterOptions(const NatsCluster& nats, const std::string& nodeName,
                                       const std::string& stream) {
  cluster::ClusterOptions o;
  o.urls = nats.urls();
  o.stream = stream;
  o.replicas = 1;
  o.nodeName = nodeName;
  return o;
}

ClusterEngine::ClusterEngine(const cluster::ClusterOptions& options,
                             commands::EngineOptions engineOptions) {
  cluster = cluster::ClusterNode::connect(options);
  engineOptions.nodeName = options.nodeName;
  engineOptions.log = [c = cluster.get()](events::Store& store) { return c->openLog(store); };
  engineOptions.lastUseStore = [c = cluster.get(),
                                 sync = engineOptions.sync](events::Store& store) {
    return c->lastUseStore(store, sync);
  };
  engine = commands::Engine::open(std::move(engineOptions));
}

}  // namespace pitlog::testing
