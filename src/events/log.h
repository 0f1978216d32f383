#pragma once
// The append-only log: appending a command's events to a batch (extending the hash chain and the
// stream index), reading events back, and verifying the chain.
#include <rocksdb/write_batch.h>

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "events/event.h"
#include "events/merkle.h"
#include "events/store.h"

namespace pitlog::events {

struct ChainPosition {
  uint64_t lastSeq = 0;
  Digest head{};  // hash of event lastSeq; zeros for an empty log
  bool operator==(const ChainPosition&) const = default;
};

// Who and why, shared by every event of one command.
struct EventContext {
  Actor actor;
  std::string requestId;
  UnixMillis at = 0;
};

struct AppendedEvent {
  uint64_t seq = 0;
  uint32_t streamVersion = 0;
  std::string bytes;  // canonical encoding, as stored
  Digest hash{};
};

// Appends events to WriteBatches on behalf of the single writer, with the Merkle tree nodes each
// event completes (merkle_store.h): leaf seq-1 is the event of seq, in the same batch. Between beginBatch() and
// commitBatch()/abortBatch() it tracks the chain and stream versions of the pending batch, so
// that several commands can share one batch (group commit). Not thread-safe: one owner.
class LogAppender {
 public:
  // Continues the store's log, as its meta values say.
  explicit LogAppender(const Store& store);
  // Continues the log from `base`, a position the owner knows to be durable, whatever the store
  // shows beyond it (the tree resumes from the stored nodes of a tree of base.lastSeq leaves,
  // which are durable with the events) (a store reopened read-only after a failed fsync may show a batch that is not
  // known durable; appending after it would build on it).
  LogAppender(const Store& store, ChainPosition base);

  ChainPosition position() const { return pending_; }
  // The Merkle tree of the pending position.
  const merkle::TreeAppender& tree() const { return pendingTree_; }

  // The version of a stream including pending appends; 0 when it has no event.
  uint32_t streamVersion(std::string_view streamId);
  // Tells the appender a stream's version that the caller knows from a view written in the same
  // batches (an integration's version, or 0 for a new id), sparing a reverse scan of the index.
  void knowStreamVersion(std::string_view streamId, uint32_t version) {
    pendingVersions_.try_emplace(std::string(streamId), version);
  }

  struct VersionConflict {
    std::string streamId;
    uint32_t expected = 0, actual = 0;
  };
  // Appends one command's events. When expectedVersion is given, every event's stream must stand
  // at that version first; otherwise nothing is appended and the conflict is returned.
  std::variant<std::vector<AppendedEvent>, VersionConflict> append(
      rocksdb::WriteBatch& batch, std::span<const NewEvent> events, const EventContext& context,
      std::optional<uint32_t> expectedVersion = std::nullopt);

  // Appends an event another writer encoded and chained (a commit read from a replicated log),
  // with the same keys as append(). Returns why when it does not continue the pending chain (its
  // seq is not the next one, or its prevHash is not the pending head); nothing is appended then.
  std::optional<std::string> appendEncoded(rocksdb::WriteBatch& batch, const DecodedEvent& event);

  // Writes meta/last_seq and meta/chain_head for the pending position into the batch.
  void finishBatch(rocksdb::WriteBatch& batch);
  // The batch became durable: the pending position is now the committed one.
  void commitBatch();
  // The batch was not written: forget everything appended since the last commit.
  void abortBatch();

 private:
  // Writes one event and its stream index entry, and moves the pending position past it.
  void putEvent(rocksdb::WriteBatch& batch, std::string_view bytes, std::string_view streamId,
                uint64_t seq, uint32_t streamVersion, const Digest& hash);

  const Store& store_;
  ChainPosition committed_, pending_;
  merkle::TreeAppender committedTree_, pendingTree_;
  std::vector<merkle::Node> created_;  // scratch for the nodes one event completes
  std::unordered_map<std::string, uint32_t> pendingVersions_;
};

// Reads the stored bytes of one event.
std::optional<std::string> readEvent(const Store& store, uint64_t seq);
// Visits stored events with from <= seq <= to (to 0: to the end) in order, until visit is false.
void forEachEvent(const Store& store, uint64_t from, uint64_t to,
                  const std::function<bool(uint64_t seq, std::string_view bytes)>& visit);
// The global sequences of one stream, oldest first.
std::vector<uint64_t> streamSequences(const Store& store, std::string_view streamId);

// Checks the chain event by event: keys in order and gap-free, each event's seq equal to its
// key, each prevHash equal to the hash of the event before. Feed every event from seq 1.
// Where a broken chain really breaks, in words for an auditor. `firstUnverified` is the event at
// which ChainVerifier::feed() failed (its position + 1), or lastSeq + 1 when only checkMeta()
// failed; `verifierError` is what it said. An event's bytes are vouched for only by the hash
// recorded after it (its successor's prevHash, or meta/chain_head), so when the link k-1 -> k
// breaks this looks one link further to tell "event k-1 was altered" from "event k's prevHash
// was"; it also names deleted events, a log cut short at its end, and damaged meta values.
struct ChainBreak {
  uint64_t seq = 0;  // the first event that is not intact
  std::string reason;
};
ChainBreak diagnoseChainBreak(const Store& store, uint64_t firstUnverified,
                              std::string_view verifierError);

class ChainVerifier {
 public:
  // Returns an explanation when this event breaks the chain; the verifier stays at the failure.
  // When the event is sound and `decoded` is given, the decoded event is stored there, so that
  // callers that go on to use it (replay) decode each event once.
  std::optional<std::string> feed(uint64_t keySeq, std::string_view bytes,
                                  std::optional<DecodedEvent>* decoded = nullptr);
  ChainPosition position() const { return position_; }
  // When the whole log was fed: does the stored meta agree with it?
  std::optional<std::string> checkMeta(const Store& store) const;

 private:
  ChainPosition position_;
};

}  // namespace pitlog::events
