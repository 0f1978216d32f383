#include "cluster/stream_join.h"

#include <optional>

#include "cluster/commit_codec.h"
#include "cluster/commit_reader.h"
#include "cluster/commit_stream.h"
#include "cluster/progress_reporter.h"
#include "cluster/stream_migration.h"
#include "cluster/stream_position.h"
#include "events/log.h"

namespace pitlog::cluster {

namespace {

using Clock = std::chrono::steady_clock;

// Commits read at a time (each up to kMaxCommitBytes) while comparing.
constexpr int kCompareBatch = 64;

// Where the stream's history stands against a single-node log of `localLast` events.
struct Comparison {
  uint64_t streamEvents = 0;  // the last event seq the stream holds (0: none)
  // The commit whose last event is event localLast, when the stream holds one.
  std::optional<uint64_t> positionAtLocalEnd;
};

[[noreturn]] void refuseDiffering(const std::string& stream, uint64_t seq, const std::string& how) {
  throw events::StoreError("the history of stream " + stream +
                           " differs from this data dir's log at seq " + std::to_string(seq) +
                           " (" + how + "); pitd refuses to join a stream with another history");
}

// Reads the stream from its first commit until the local log's end is passed (or the stream's,
// `streamLast`), comparing every event with the local one of the same seq.
Comparison compareHistories(const NatsConnection& conn, const events::Store& store,
                            uint64_t streamLast, const JoinOptions& options) {
  const uint64_t localLast = store.lastSeq();
  Comparison out;
  CommitReader reader(conn, options.stream, 0);
  ProgressReporter progress(options.progress);
  auto lastProgress = Clock::now();
  while (reader.position() < streamLast && out.streamEvents < localLast) {
    auto read = reader.poll(std::chrono::milliseconds(500), kCompareBatch);
    if (read.empty()) {
      if (Clock::now() - lastProgress > options.stallTimeout) {
        throw events::StoreError("could not read stream " + options.stream + " past position " +
                                 std::to_string(reader.position()) + " to compare it with the " +
                                 "data dir's log");
      }
      continue;
    }
    lastProgress = Clock::now();
    for (const auto& r : read) {
      std::string error;
      auto commit = decodeCommit(r.bytes, &error);
      if (!commit) {
        throw events::StoreError("the stream's commit " + std::to_string(r.seq) +
                                 " does not decode: " + error);
      }
      for (const auto& e : commit->events) {
        const uint64_t seq = out.streamEvents + 1;
        if (e.seq != seq)
          refuseDiffering(options.stream, seq,
                          "the stream has seq " + std::to_string(e.seq) + " there");
        out.streamEvents = seq;
        if (seq > localLast) continue;  // the stream is longer: only its boundaries matter
        auto local = events::readEvent(store, seq);
        if (!local) throw events::StoreError("event " + std::to_string(seq) + " is missing");
        if (*local != e.bytes) refuseDiffering(options.stream, seq, "the events' bytes differ");
      }
      if (out.streamEvents == localLast) out.positionAtLocalEnd = r.seq;
      if (out.streamEvents >= localLast) break;
    }
    progress.report("comparing the data dir's log with the stream",
                    std::min(out.streamEvents, localLast), localLast,
                    out.streamEvents >= localLast || reader.position() >= streamLast);
  }
  return out;
}

void recordJoin(events::Store& store, uint64_t position) {
  rocksdb::WriteBatch batch;
  recordStreamPosition(store, batch, position);
  const auto outcome = store.write(batch, true);
  if (!outcome.ok) {
    throw events::StoreError("recording the stream position failed: " + outcome.message);
  }
}

}  // namespace

uint64_t joinStream(const NatsConnection& conn, events::Store& store, const JoinOptions& options) {
  uint64_t streamLast = 0;
  try {
    streamLast = streamLastSequence(conn, options.stream);
  } catch (const NatsError& e) {
    throw events::StoreError(std::string("cannot read stream ") + options.stream + ": " + e.what());
  }
  if (auto recorded = recordedStreamPosition(store)) {
    if (*recorded > streamLast) {
      throw events::StoreError(
          "this data dir has applied stream position " + std::to_string(*recorded) +
          " but stream " + options.stream + " ends at " + std::to_string(streamLast) +
          ": the stream lost history (or is another stream of that name); pitd refuses to start");
    }
    return *recorded;
  }
  const uint64_t localLast = store.lastSeq();
  if (localLast == 0) return 0;  // an empty data dir: the follower reads the stream from 1

  // A single-node log.
  const Comparison c = compareHistories(conn, store, streamLast, options);
  uint64_t position = 0;
  if (c.streamEvents >= localLast) {
    if (!c.positionAtLocalEnd) {
      throw events::StoreError("this data dir's log ends at event " + std::to_string(localLast) +
                               ", inside a commit of stream " + options.stream +
                               ": it cannot be joined at a stream position");
    }
    position = *c.positionAtLocalEnd;
  } else {
    MigrationOptions m;
    m.stream = options.stream;
    m.nodeName = options.nodeName;
    m.progress = options.progress;
    position = publishLocalLog(conn, store, c.streamEvents + 1, streamLast, m);
  }
  recordJoin(store, position);
  return position;
}

}  // namespace pitlog::cluster
