#pragma once
// Small helpers shared by the cluster tests over real nats-servers.
#include <chrono>
#include <string>
#include <vector>

#include "cluster/commit_publisher.h"
#include "cluster/commit_reader.h"
#include "cluster/nats_connection.h"
#include "support/nats_cluster.h"

namespace pitlog::testing {

// Short timeouts, so that a test sees a lost server in well under a second of its own time.
cluster::ConnectOptions connectOptions(const std::vector<std::string>& urls,
                                       const std::string& name = "pitlog-test");

// The outcome in words ("stored 3", "wrong last sequence: ...").
std::string describe(const cluster::PublishOutcome& outcome);

// The seq of a Stored outcome; throws std::runtime_error naming any other outcome.
uint64_t storedSeq(const cluster::PublishOutcome& outcome);

// Polls until the reader's position reaches `position` (or 30 s pass) and returns what it read.
std::vector<cluster::StreamCommit> readUntil(cluster::CommitReader& reader, uint64_t position);

}  // namespace pitlog::testing
