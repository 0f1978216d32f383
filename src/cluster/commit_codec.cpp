#include "cluster/commit_codec.h"

#include "cluster/commit.capnp.h"
#include "events/event.h"
#include "events/stored_value.h"

namespace pitlog::cluster {

namespace {

constexpr size_t kMaxNodeNameBytes = 256;
constexpr size_t kMaxIdempotencyKeyBytes = 1024;

// Copies the commit out of the reader, or says what is wrong with it. Only shapes are checked
// here; the chain is checked on the copy.
std::optional<Commit> readCommit(schema::Commit::Reader r, std::string* error) {
  Commit commit;
  commit.node = std::string(events::textView(r.getNode()));
  if (commit.node.size() > kMaxNodeNameBytes) {
    *error = "the node name is longer than " + std::to_string(kMaxNodeNameBytes) + " bytes";
    return std::nullopt;
  }
  for (auto e : r.getEvents()) {
    auto hash = events::digestFromBytes(events::dataView(e.getHash()));
    if (!hash) {
      *error = "event " + std::to_string(e.getSeq()) + " has a hash of " +
               std::to_string(e.getHash().size()) + " bytes, not 32";
      return std::nullopt;
    }
    commit.events.push_back({e.getSeq(), *hash, std::string(events::dataView(e.getBytes()))});
  }
  for (auto i : r.getIdempotency()) {
    IdempotencyEntry entry{std::string(events::dataView(i.getKey())),
                           std::string(events::dataView(i.getRecord()))};
    if (entry.key.empty() || entry.key.size() > kMaxIdempotencyKeyBytes || entry.record.empty()) {
      *error = "an idempotency entry has an empty or oversized key, or an empty record";
      return std::nullopt;
    }
    commit.idempotency.push_back(std::move(entry));
  }
  return commit;
}

std::optional<std::string> checkChain(const Commit& commit) {
  if (commit.events.empty() && commit.idempotency.empty()) return "the commit is empty";
  for (size_t i = 0; i < commit.events.size(); ++i) {
    const auto& e = commit.events[i];
    const std::string at = "event " + std::to_string(e.seq) + ": ";
    if (e.seq == 0) return "an event has seq 0";
    if (i > 0 && e.seq != commit.events[i - 1].seq + 1) {
      return at + "does not follow seq " + std::to_string(commit.events[i - 1].seq);
    }
    std::string why;
    auto decoded = events::DecodedEvent::decode(e.bytes, &why);
    if (!decoded) return at + "unreadable: " + why;
    if (decoded->reader().getSeq() != e.seq) {
      return at + "its bytes hold seq " + std::to_string(decoded->reader().getSeq());
    }
    if (i > 0 && decoded->prevHash() != commit.events[i - 1].hash) {
      return at + "its prevHash is not the hash of the event before it";
    }
    if (decoded->hash() != e.hash) return at + "its hash does not match its bytes";
  }
  return std::nullopt;
}

}  // namespace

// A Cap'n Proto canonical message is words: the root pointer, the Commit struct (three pointers),
// each list's tag word (events and idempotency are struct lists), each struct element and each
// Data or Text padded to a word (Text has a NUL).
namespace {
constexpr size_t kWord = 8;
size_t words(size_t bytes) { return (bytes + kWord - 1) / kWord * kWord; }
}  // namespace

CommitSizer::CommitSizer(size_t nodeNameBytes)
    : bytes_(kWord + 3 * kWord + 2 * kWord + words(nodeNameBytes + 1)) {}

size_t CommitSizer::eventSize(size_t eventBytes) {
  // CommittedEvent: seq (one data word) and two pointers; the 32-byte hash; the bytes.
  return 3 * kWord + 32 + words(eventBytes);
}

size_t CommitSizer::idempotencySize(size_t keyBytes, size_t recordBytes) {
  return 2 * kWord + words(keyBytes) + words(recordBytes);
}

std::string encodeCommit(const Commit& commit) {
  return events::encodeStoredValue<schema::Commit>([&](schema::Commit::Builder b) {
    auto list = b.initEvents(commit.events.size());
    for (size_t i = 0; i < commit.events.size(); ++i) {
      const auto& e = commit.events[i];
      list[i].setSeq(e.seq);
      list[i].setHash(events::dataReader(events::Sha256::asView(e.hash)));
      list[i].setBytes(events::dataReader(e.bytes));
    }
    auto idem = b.initIdempotency(commit.idempotency.size());
    for (size_t i = 0; i < commit.idempotency.size(); ++i) {
      idem[i].setKey(events::dataReader(commit.idempotency[i].key));
      idem[i].setRecord(events::dataReader(commit.idempotency[i].record));
    }
    b.setNode(commit.node);
  });
}

std::optional<Commit> decodeCommit(std::string_view bytes, std::string* error) {
  if (bytes.size() > kMaxCommitBytes) {
    *error = "the commit is " + std::to_string(bytes.size()) + " bytes, over the limit of " +
             std::to_string(kMaxCommitBytes);
    return std::nullopt;
  }
  std::string shapeError;
  auto read = events::readStoredValue<schema::Commit>(
      bytes, [&](schema::Commit::Reader r) { return readCommit(r, &shapeError); });
  if (!read) {
    *error = "the commit is not a readable message";
    return std::nullopt;
  }
  if (!*read) {
    *error = shapeError;
    return std::nullopt;
  }
  // Canonical form: the same commit has exactly one encoding, so a message cannot smuggle bytes
  // that this decoder skips (far pointers, gaps, trailing words).
  if (encodeCommit(**read) != bytes) {
    *error = "the commit is not in canonical form";
    return std::nullopt;
  }
  if (auto broken = checkChain(**read)) {
    *error = *broken;
    return std::nullopt;
  }
  return std::move(*read);
}

}  // namespace pitlog::cluster
