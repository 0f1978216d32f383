#pragma once
// Publishing a single-node log into the stream (stream_join.h): the local events from a seq on,
// as consecutive commits, each under kMaxCommitBytes, each carrying the idempotency records of
// the commands whose last event it holds. Every publish is fenced by the stream position it
// expects and named by a msg id derived from its content ("migrate-<last seq>-<hash prefix>"), so
// that a publish retried after a lost answer is stored once, and a migration cut off by a crash
// is resumed by joinStream() from where the stream ends. Progress through `progress`.
// Throws events::StoreError when the stream moves meanwhile (another node writes) or cannot be
// reached for `retryFor`.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "cluster/nats_connection.h"
#include "cluster/progress_reporter.h"
#include "events/store.h"

namespace pitlog::cluster {

struct MigrationOptions {
  std::string stream = "PITLOG";
  std::string nodeName;
  ProgressFn progress;
  std::chrono::milliseconds retryFor{30000};  // a publish without an answer, retried this long
  size_t maxCommitBytes = 0;                  // 0: kMaxCommitBytes
};

// Publishes events fromSeq..store.lastSeq() after stream position `streamPosition` (the stream's
// last sequence, whose commits hold events 1..fromSeq-1). Returns the stream position after the
// last commit published.
uint64_t publishLocalLog(const NatsConnection& conn, const events::Store& store, uint64_t fromSeq,
                         uint64_t streamPosition, const MigrationOptions& options);

}  // namespace pitlog::cluster
