#pragma once
// Runs the server's end-to-end suite against cluster nodes: when PITLOG_TEST_CLUSTER names a
// NATS server (nats://127.0.0.1:PORT, with JetStream), every pitd a test starts becomes a
// one-replica cluster node on a stream of its own, so that cluster mode is held to every promise
// the suite proves for a single server. Unset, pitd starts exactly as the test asked. Applied by
// PitdProcess (a pitd that serves); runPitd's runs (--help, bad options) stay as asked.
#include <string>
#include <vector>

namespace pitlog::testing {

// `args` plus `--cluster URL --cluster-stream NAME --cluster-replicas 1` when PITLOG_TEST_CLUSTER
// is set and the test did not already ask for --cluster. NAME is derived from the --data
// directory, so that a pitd restarted on its data dir finds its own stream again and two pitds
// on different data dirs never share one.
std::vector<std::string> withClusterMode(std::vector<std::string> args);

// Whether PITLOG_TEST_CLUSTER is set: the few promises that differ for a cluster node (API.md's
// "Cluster mode" adds a member to /healthz) check the cluster form then.
bool clusterModeUnderTest();

}  // namespace pitlog::testing
