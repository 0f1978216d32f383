#pragma once
// Joining the stream with a node's data dir, before the engine loads it (cluster_node.h,
// ClusterNode::openLog). What the data dir holds decides:
//   - a recorded stream position (stream_position.h): the node is a member; the stream must hold
//     at least that position, else it lost history and the node refuses to start;
//   - nothing: the node catches up from the stream (the engine's follower reads it from 1);
//   - a single-node log (events, no position): its history and the stream's are compared from
//     seq 1. Where an event differs (its seq or its bytes, hence its hash), the node refuses,
//     naming that seq. A local log that is a prefix of the stream's events (ending where one of
//     its commits ends) is joined at that commit's position. A stream that is a prefix of the
//     local log (an empty one, or one a migration cut off by a crash filled part way) gets the
//     rest of the local log published (stream_migration.h). The position is then recorded.
// Throws events::StoreError with a message for a person.
// Thread-safety: main's thread at start, the engine not yet open.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "cluster/nats_connection.h"
#include "cluster/progress_reporter.h"
#include "events/store.h"

namespace pitlog::cluster {

struct JoinOptions {
  std::string stream = "PITLOG";
  std::string nodeName;  // in the migrated commits
  // Progress of a long comparison or migration: a message, done, total.
  ProgressFn progress;
  // How long reading the stream may make no progress before the node gives up.
  std::chrono::milliseconds stallTimeout{30000};
};

// Returns the stream position the store has applied (now recorded in its meta when it is not 0).
uint64_t joinStream(const NatsConnection& conn, events::Store& store, const JoinOptions& options);

}  // namespace pitlog::cluster
