#include "cluster/stream_migration.h"

#include <map>
#include <thread>
#include <variant>
#include <vector>

#include "cluster/commit_codec.h"
#include "cluster/commit_publisher.h"
#include "cluster/progress_reporter.h"
#include "commands/idempotency_record.h"
#include "events/keys.h"
#include "events/log.h"

namespace pitlog::cluster {

namespace {

using Clock = std::chrono::steady_clock;

// The stored idempotency records by the seq of their command's last event: each travels in the
// commit holding that event, as the writer puts it in the commit of its command.
std::multimap<uint64_t, IdempotencyEntry> idempotencyByLastSeq(const events::Store& store,
                                                               uint64_t fromSeq) {
  std::multimap<uint64_t, IdempotencyEntry> out;
  store.scanPrefix(
      events::keys::Family::idempotency, {}, [&](std::string_view key, std::string_view value) {
        auto record = commands::decodeIdempotency(value);
        if (record && record->lastSeq >= fromSeq) {
          out.emplace(record->lastSeq, IdempotencyEntry{std::string(key), std::string(value)});
        }
        return true;
      });
  return out;
}

class Migration {
 public:
  Migration(const NatsConnection& conn, const MigrationOptions& options, uint64_t streamPosition,
            uint64_t total)
      : options_(options),
        publisher_(conn, options.stream),
        position_(streamPosition),
        total_(total),
        cap_(options.maxCommitBytes != 0 ? options.maxCommitBytes : kMaxCommitBytes),
        sizer_(options.nodeName.size()),
        progress_(options.progress) {
    commit_.node = options.nodeName;
  }

  void add(uint64_t seq, const events::DecodedEvent& event,
           std::vector<IdempotencyEntry> idempotency) {
    size_t adds = CommitSizer::eventSize(event.bytes().size());
    for (const auto& i : idempotency) {
      adds += CommitSizer::idempotencySize(i.key.size(), i.record.size());
    }
    if (!commit_.events.empty() && sizer_.bytes() + adds > cap_) publish();
    if (CommitSizer(options_.nodeName.size()).bytes() + adds > cap_) {
      throw events::StoreError("event " + std::to_string(seq) + " with its records is over " +
                               std::to_string(cap_) + " bytes: it cannot be a commit");
    }
    sizer_.addEvent(event.bytes().size());
    commit_.events.push_back({seq, event.hash(), std::string(event.bytes())});
    for (auto& i : idempotency) {
      sizer_.addIdempotency(i.key.size(), i.record.size());
      commit_.idempotency.push_back(std::move(i));
    }
  }

  // Publishes what is gathered; returns the stream position after it.
  uint64_t finish() {
    if (!commit_.events.empty()) publish();
    progress_.report(kMessage, done_, total_, true);
    return position_;
  }

 private:
  void publish() {
    const auto& last = commit_.events.back();
    const std::string bytes = encodeCommit(commit_);
    // Named by its content: a retry, or the same commit of a migration run again, is the same.
    const std::string msgId =
        "migrate-" + std::to_string(last.seq) + "-" + events::toHex(last.hash).substr(0, 16);
    const auto giveUpAt = Clock::now() + options_.retryFor;
    for (;;) {
      PublishOutcome outcome;
      try {
        outcome = publisher_.publish(bytes, position_, msgId);
      } catch (const NatsError& e) {
        throw events::StoreError(std::string("publishing the log into the stream: ") + e.what());
      }
      uint64_t seq = 0;
      if (const auto* s = std::get_if<Stored>(&outcome)) seq = s->seq;
      if (const auto* d = std::get_if<Duplicate>(&outcome)) seq = d->seq;
      if (seq != 0) {
        if (seq != position_ + 1) {
          throw events::StoreError("the stream stored the commit of events up to " +
                                   std::to_string(last.seq) + " at position " +
                                   std::to_string(seq) + ", not " + std::to_string(position_ + 1));
        }
        position_ = seq;
        break;
      }
      if (const auto* w = std::get_if<WrongLastSequence>(&outcome)) {
        throw events::StoreError("stream " + options_.stream + " moved on while this data dir's " +
                                 "log was being published (another node writes to it: " +
                                 w->detail + "); start this node first, alone");
      }
      if (Clock::now() >= giveUpAt) {
        throw events::StoreError("publishing the log into the stream: " +
                                 std::get<Unavailable>(outcome).reason);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    done_ = last.seq;
    commit_.events.clear();
    commit_.idempotency.clear();
    sizer_ = CommitSizer(options_.nodeName.size());
    progress_.report(kMessage, done_, total_);
  }

  static constexpr const char* kMessage = "publishing the data dir's log into the stream";

  const MigrationOptions& options_;
  CommitPublisher publisher_;
  uint64_t position_;
  uint64_t total_;
  uint64_t done_ = 0;
  size_t cap_;
  Commit commit_;
  CommitSizer sizer_;
  ProgressReporter progress_;
};

}  // namespace

uint64_t publishLocalLog(const NatsConnection& conn, const events::Store& store, uint64_t fromSeq,
                         uint64_t streamPosition, const MigrationOptions& options) {
  const uint64_t last = store.lastSeq();
  auto idempotency = idempotencyByLastSeq(store, fromSeq);
  Migration migration(conn, options, streamPosition, last);
  events::forEachEvent(store, fromSeq, last, [&](uint64_t seq, std::string_view bytes) {
    std::string error;
    auto event = events::DecodedEvent::decode(bytes, &error);
    if (!event) throw events::StoreError("event " + std::to_string(seq) + " is damaged: " + error);
    std::vector<IdempotencyEntry> records;
    auto [from, to] = idempotency.equal_range(seq);
    for (auto it = from; it != to; ++it) records.push_back(std::move(it->second));
    migration.add(seq, *event, std::move(records));
    return true;
  });
  return migration.finish();
}

}  // namespace pitlog::cluster
