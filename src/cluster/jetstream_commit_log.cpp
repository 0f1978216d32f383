#include "cluster/jetstream_commit_log.h"

#include <algorithm>

#include "cluster/commit_stream.h"
#include "events/store.h"

namespace pitlog::cluster {

using commands::AppendOutcome;
using commands::PositionedCommit;

JetStreamCommitLog::JetStreamCommitLog(const NatsConnection& conn, JetStreamLogOptions options)
    : conn_(conn),
      options_(std::move(options)),
      publisher_(conn, options_.stream),
      progress_(options_.progress, options_.progressEvery) {}

JetStreamCommitLog::~JetStreamCommitLog() { stopFollowing(); }

uint64_t JetStreamCommitLog::appliedPosition(const events::Store& store) const {
  return recordedStreamPosition(store).value_or(0);
}

void JetStreamCommitLog::recordPosition(const events::Store& store, rocksdb::WriteBatch& batch,
                                        uint64_t position) const {
  recordStreamPosition(store, batch, position);
}

AppendOutcome JetStreamCommitLog::append(const commands::Commit& commit, uint64_t expectedPosition,
                                         const std::string& msgId) {
  const std::string bytes = encodeCommit(commit);
  const auto giveUpAt = std::chrono::steady_clock::now() + options_.appendRetryFor;
  for (;;) {
    PublishOutcome outcome;
    const auto askedAt = std::chrono::steady_clock::now();
    try {
      outcome = publisher_.publish(bytes, expectedPosition, msgId);
    } catch (const NatsError& e) {
      // A refusal retrying may not cure (a server still starting, the stream gone): the engine
      // answers 503 and writes nothing, as for a lost answer, never a crash of its syncer.
      return commands::LogUnavailable{e.what()};
    }
    if (const auto* s = std::get_if<Stored>(&outcome)) {
      // The stream's last sequence was this one when it stored the commit, after askedAt.
      observed(s->seq, askedAt);
      return commands::Appended{s->seq};
    }
    // Our own earlier try, whose answer was lost: stored once, at its first sequence.
    if (const auto* d = std::get_if<Duplicate>(&outcome)) return commands::Appended{d->seq};
    if (const auto* w = std::get_if<WrongLastSequence>(&outcome)) {
      return commands::Conflict{w->detail};
    }
    const std::string reason = std::get<Unavailable>(outcome).reason;
    if (std::chrono::steady_clock::now() >= giveUpAt) return commands::LogUnavailable{reason};
    // The same msg id and expectation: a retry can only store the commit once.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::vector<PositionedCommit> JetStreamCommitLog::decode(std::vector<StreamCommit> read) {
  std::vector<PositionedCommit> out;
  out.reserve(read.size());
  for (auto& r : read) {
    std::string error;
    auto commit = decodeCommit(r.bytes, &error);
    if (!commit) {
      throw events::StoreError("the stream's commit " + std::to_string(r.seq) +
                               " does not decode: " + error);
    }
    out.push_back({r.seq, std::move(*commit)});
  }
  return out;
}

void JetStreamCommitLog::observed(uint64_t last, CommitReader::Clock::time_point askedAt) {
  uint64_t seen = lastObserved_.load();
  while (seen < last && !lastObserved_.compare_exchange_weak(seen, last)) {
  }
  if (options_.observe) options_.observe(last, askedAt);
}

CommitReader::Observer JetStreamCommitLog::observer() {
  return [this](uint64_t last, CommitReader::Clock::time_point askedAt) {
    observed(last, askedAt);
  };
}

std::vector<PositionedCommit> JetStreamCommitLog::readAfter(uint64_t position, size_t max) {
  try {
    // Asking the stream's end first spares a poll's wait when there is nothing to read.
    const auto askedAt = CommitReader::Clock::now();
    if (const auto last = observeStreamEnd(conn_, options_.stream)) {
      observed(*last, askedAt);
      if (*last <= position) return {};
    }
  } catch (const NatsError&) {
    return {};  // cannot be reached now
  }
  if (!catchUpReader_ || catchUpReader_->position() != position) {
    catchUpReader_ = std::make_unique<CommitReader>(conn_, options_.stream, position, observer());
  }
  std::vector<StreamCommit> read;
  try {
    read = catchUpReader_->poll(std::chrono::milliseconds(1000), int(max));
  } catch (const NatsError&) {
    return {};  // the stream is missing now: nothing can be read (and nothing appended)
  }
  return decode(std::move(read));
}

void JetStreamCommitLog::follow(uint64_t after, Deliver deliver) {
  stopFollowing();
  followReader_ = std::make_unique<CommitReader>(conn_, options_.stream, after, observer());
  catchingUp_ = false;
  // Where the stream ends now, so that a catch-up is reported from its start.
  try {
    const auto askedAt = CommitReader::Clock::now();
    if (const auto last = observeStreamEnd(conn_, options_.stream)) observed(*last, askedAt);
  } catch (const NatsError&) {
    // The follower's first poll observes it.
  }
  following_ = true;
  follower_ = std::thread([this, deliver = std::move(deliver)] { followLoop(deliver); });
}

void JetStreamCommitLog::stopFollowing() {
  following_ = false;
  if (follower_.joinable()) follower_.join();
}

void JetStreamCommitLog::reportProgress(uint64_t read) {
  const uint64_t last = std::max(lastObserved_.load(), followReader_->streamLastSeen());
  if (!catchingUp_) {
    if (last < read + options_.progressGap) return;
    catchingUp_ = true;
    progress_.report("catching up with the stream", read, last, true);
  } else if (read >= last) {
    catchingUp_ = false;
    progress_.report("caught up with the stream", read, last, true);
  } else {
    progress_.report("catching up with the stream", read, last);
  }
}

void JetStreamCommitLog::followLoop(Deliver deliver) {
  while (following_) {
    reportProgress(followReader_->position());
    std::vector<PositionedCommit> commits;
    try {
      // A bounded read: a catch-up holds at most this many commits in memory at a time.
      commits = decode(followReader_->poll(options_.followWait, kFollowBatch));
    } catch (const std::exception&) {
      // A missing stream or a damaged commit: the engine meets it again through readAfter() when
      // it next catches up, and refuses it there; the follower waits and tries again.
      std::this_thread::sleep_for(options_.followWait);
      continue;
    }
    if (!commits.empty()) deliver(std::move(commits));
  }
}

}  // namespace pitlog::cluster
