#pragma once
// The replicated log (commands/commit_log.h) over a JetStream stream: one message per commit,
// the position is the stream sequence of the last commit a node has applied, recorded in `meta`
// in the WriteBatch that applies it. Appends are fenced by the expected last sequence; a lost
// answer is retried with the same msg id (the stream answers a stored one as a duplicate).
//
// It also follows the stream: a thread that reads every commit after the node's position and
// hands them, in order, to the engine (CommitLog::follow), which applies other nodes' commits on
// its writer thread and skips those it applied already.
//
// Thread-safety: append() and readAfter() as commit_log.h says; the follower thread is its own.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "cluster/commit_publisher.h"
#include "cluster/commit_reader.h"
#include "cluster/nats_connection.h"
#include "cluster/progress_reporter.h"
#include "cluster/stream_position.h"
#include "commands/commit_log.h"

namespace pitlog::cluster {

struct JetStreamLogOptions {
  std::string stream = "PITLOG";
  // How long an append whose answer was lost is retried (same msg id, same expectation) before
  // the engine answers 503 "may have been applied".
  std::chrono::milliseconds appendRetryFor{5000};
  // How long the follower waits for new commits in one poll.
  std::chrono::milliseconds followWait{200};
  // Every observation of the stream's last sequence (freshness.h): the stream's end as the
  // follower's and readAfter()'s readers ask it (commit_reader.h), and each append's ack. On the
  // observing thread.
  CommitReader::Observer observe;
  // The follower's catch-up, for pitd's log: once it is at least progressGap commits behind the
  // stream, "catching up with the stream" (read, last) at its start and then at most every
  // progressEvery, and "caught up with the stream" when it is.
  ProgressFn progress;
  uint64_t progressGap = 256;
  std::chrono::milliseconds progressEvery{1000};
};

class JetStreamCommitLog : public commands::CommitLog {
 public:
  // Commits the follower reads and hands on at a time.
  static constexpr int kFollowBatch = 64;

  // conn must outlive the log; the stream must exist (ensureStream()).
  JetStreamCommitLog(const NatsConnection& conn, JetStreamLogOptions options);
  ~JetStreamCommitLog() override;

  uint64_t appliedPosition(const events::Store& store) const override;
  void recordPosition(const events::Store& store, rocksdb::WriteBatch& batch,
                      uint64_t position) const override;
  // One message per commit.
  uint64_t positionAfter(uint64_t expectedPosition, const commands::Commit&) const override {
    return expectedPosition + 1;
  }
  // A stream message: the publisher refuses more (commit_codec.h).
  size_t maxCommitBytes() const override { return kMaxCommitBytes; }
  commands::AppendOutcome append(const commands::Commit& commit, uint64_t expectedPosition,
                                 const std::string& msgId) override;
  std::vector<commands::PositionedCommit> readAfter(uint64_t position, size_t max) override;
  void follow(uint64_t after, Deliver deliver) override;
  void stopFollowing() override;

 private:
  // Decodes what a reader read; throws events::StoreError for bytes that are no commit.
  static std::vector<commands::PositionedCommit> decode(std::vector<StreamCommit> read);
  void followLoop(Deliver deliver);
  CommitReader::Observer observer();  // observed(), for a reader
  // Any thread: an observation of the stream's last sequence, kept for the follower's progress
  // and passed on to options_.observe.
  void observed(uint64_t last, CommitReader::Clock::time_point askedAt);
  // Follower thread: reports its catch-up (options_.progress), `read` being its position.
  void reportProgress(uint64_t read);

  const NatsConnection& conn_;
  JetStreamLogOptions options_;
  CommitPublisher publisher_;
  std::unique_ptr<CommitReader> catchUpReader_;  // the writer's, re-made at the position asked
  std::unique_ptr<CommitReader> followReader_;
  std::atomic<bool> following_{false};
  std::atomic<uint64_t> lastObserved_{0};
  bool catchingUp_ = false;  // follower thread: reporting a catch-up
  ProgressReporter progress_;  // follower thread
  std::thread follower_;
};

}  // namespace pitlog::cluster
