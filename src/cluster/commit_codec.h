#pragma once
// The commit: one JetStream message per group-committed batch (its events and idempotency
// records), encoded as commit.capnp describes. decodeCommit() reads bytes from the stream, which
// any client of the NATS server could have written, so it trusts nothing: a bounded traversal,
// canonical events, consecutive seqs and an intact hash chain inside the commit.
// Thread-safety: pure functions, callable from any thread.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/digest.h"

namespace pitlog::cluster {

// The largest encoded commit. nats-server's default max_payload is 1 MiB; staying at a quarter of
// it leaves room for headers and for a server configured lower (NatsConnection refuses a server
// whose max_payload is below twice this). The writer must cut a group commit before it grows past
// it: one command's events are far smaller, since API.md caps a request body.
inline constexpr size_t kMaxCommitBytes = 256 * 1024;

struct CommittedEvent {
  uint64_t seq = 0;
  events::Digest hash{};  // chainHash(prevHash, bytes)
  std::string bytes;      // the event's canonical encoding, as stored and hashed
  bool operator==(const CommittedEvent&) const = default;
};

struct IdempotencyEntry {
  std::string key;     // the `idempotency` family's key (account 0x00 key)
  std::string record;  // its value, an encoded IdempotencyRecord (opaque here)
  bool operator==(const IdempotencyEntry&) const = default;
};

struct Commit {
  std::vector<CommittedEvent> events;  // consecutive seqs, chained hashes
  std::vector<IdempotencyEntry> idempotency;
  std::string node;  // the writer's node name: for logs, never for decisions
  bool operator==(const Commit&) const = default;
};

// The size of encodeCommit()'s bytes for a commit, grown one event or idempotency record at a
// time, so that a writer can close a commit before it outgrows a limit without encoding it. Never
// less than the encoding's size (exact for commits with at least one event and one record; a few
// words more otherwise). Cheap: a few additions per call.
class CommitSizer {
 public:
  explicit CommitSizer(size_t nodeNameBytes);
  void addEvent(size_t eventBytes) { bytes_ += eventSize(eventBytes); }
  void addIdempotency(size_t keyBytes, size_t recordBytes) {
    bytes_ += idempotencySize(keyBytes, recordBytes);
  }
  size_t bytes() const { return bytes_; }

  // What one event or one record adds.
  static size_t eventSize(size_t eventBytes);
  static size_t idempotencySize(size_t keyBytes, size_t recordBytes);

 private:
  size_t bytes_;
};

// The canonical encoding. The caller passes a commit it built from its own log (the checks of
// decodeCommit() hold for it); the size is not checked here: see kMaxCommitBytes.
std::string encodeCommit(const Commit& commit);

// Validates and decodes untrusted bytes. On failure returns nullopt and puts the reason in
// *error; never throws on bad bytes. Checks: at most kMaxCommitBytes, a readable canonical
// message within a traversal limit tied to its size, at least one event or idempotency entry,
// every event decodable (events::DecodedEvent) with the declared seq, seqs consecutive, each hash
// 32 bytes and equal to chainHash(prevHash, bytes), each prevHash after the first equal to the
// hash before it, idempotency keys and records non-empty. Whether the first event follows the
// local chain head is the applier's check, not this one.
[[nodiscard]] std::optional<Commit> decodeCommit(std::string_view bytes, std::string* error);

}  // namespace pitlog::cluster
