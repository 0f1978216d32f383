#include "events/log.h"

#include <openssl/rand.h>

#include "events/merkle_store.h"

namespace pitlog::events {

static rocksdb::Slice slice(std::string_view s) { return {s.data(), s.size()}; }

LogAppender::LogAppender(const Store& store)
    : LogAppender(store, ChainPosition{store.lastSeq(), store.chainHead()}) {}

LogAppender::LogAppender(const Store& store, ChainPosition base)
    : store_(store),
      committed_(base),
      pending_(base),
      committedTree_(merkle::TreeAppender::resume(StoreNodeSource(store), base.lastSeq)),
      pendingTree_(committedTree_) {}

uint32_t LogAppender::streamVersion(std::string_view streamId) {
  if (auto it = pendingVersions_.find(std::string(streamId)); it != pendingVersions_.end()) {
    return it->second;
  }
  uint32_t version = 0;
  std::string prefix = keys::streamPrefix(streamId);
  std::string end = prefix;
  end.back() = '\x01';  // the first key after every "streamId 0x00 ..." key
  store_.scanRangeReverse(keys::Family::streams, prefix, end,
                          [&](std::string_view key, std::string_view) {
                            version = keys::readFixed32(key.substr(prefix.size())).value_or(0);
                            return false;
                          });
  return version;
}

std::variant<std::vector<AppendedEvent>, LogAppender::VersionConflict> LogAppender::append(
    rocksdb::WriteBatch& batch, std::span<const NewEvent> events, const EventContext& context,
    std::optional<uint32_t> expectedVersion) {
  if (expectedVersion) {
    for (const auto& e : events) {
      uint32_t actual = streamVersion(e.streamId);
      if (actual != *expectedVersion) return VersionConflict{e.streamId, *expectedVersion, actual};
    }
  }
  std::vector<AppendedEvent> out;
  out.reserve(events.size());
  if (pending_.lastSeq + events.size() > keys::kMaxSeq) {
    throw StoreError("the log is full: it holds " + std::to_string(pending_.lastSeq) +
                     " events, the most pitlog writes");
  }
  for (const auto& e : events) {
    Envelope env;
    env.seq = pending_.lastSeq + 1;
    env.streamVersion = streamVersion(e.streamId) + 1;
    if (RAND_bytes(env.eventId.data(), static_cast<int>(env.eventId.size())) != 1) {
      throw StoreError("OpenSSL: no randomness for an event id");
    }
    env.at = context.at;
    env.actor = context.actor;
    env.requestId = context.requestId;
    env.prevHash = pending_.head;

    AppendedEvent appended;
    appended.seq = env.seq;
    appended.streamVersion = env.streamVersion;
    appended.bytes = encodeEvent(e, env);
    appended.hash = chainHash(env.prevHash, appended.bytes);

    putEvent(batch, appended.bytes, e.streamId, env.seq, env.streamVersion, appended.hash);
    out.push_back(std::move(appended));
  }
  return out;
}

void LogAppender::putEvent(rocksdb::WriteBatch& batch, std::string_view bytes,
                           std::string_view streamId, uint64_t seq, uint32_t streamVersion,
                           const Digest& hash) {
  batch.Put(store_.family(keys::Family::events), keys::eventKey(seq), slice(bytes));
  batch.Put(store_.family(keys::Family::streams), keys::streamKey(streamId, streamVersion),
            keys::fixed64(seq));
  created_.clear();
  appendLeaf(pendingTree_, merkle::eventLeafHash(hash), &created_);
  putMerkleNodes(store_, batch, created_);
  pending_ = {seq, hash};
  pendingVersions_[std::string(streamId)] = streamVersion;
}

std::optional<std::string> LogAppender::appendEncoded(rocksdb::WriteBatch& batch,
                                                      const DecodedEvent& event) {
  const auto r = event.reader();
  if (r.getSeq() != pending_.lastSeq + 1) {
    return "event " + std::to_string(r.getSeq()) + " does not follow event " +
           std::to_string(pending_.lastSeq);
  }
  if (event.prevHash() != pending_.head) {
    return "event " + std::to_string(r.getSeq()) + "'s prevHash is not the hash of event " +
           std::to_string(pending_.lastSeq);
  }
  putEvent(batch, event.bytes(), textView(r.getStreamId()), r.getSeq(), r.getStreamVersion(),
           event.hash());
  return std::nullopt;
}

void LogAppender::finishBatch(rocksdb::WriteBatch& batch) {
  auto* meta = store_.family(keys::Family::meta);
  batch.Put(meta, slice(keys::kMetaLastSeq), keys::fixed64(pending_.lastSeq));
  batch.Put(meta, slice(keys::kMetaChainHead), std::string(Sha256::asView(pending_.head)));
}

void LogAppender::commitBatch() {
  committed_ = pending_;
  committedTree_ = pendingTree_;
  pendingVersions_.clear();
}

void LogAppender::abortBatch() {
  pending_ = committed_;
  pendingTree_ = committedTree_;
  pendingVersions_.clear();
}

std::optional<std::string> readEvent(const Store& store, uint64_t seq) {
  return store.get(keys::Family::events, keys::eventKey(seq));
}

void forEachEvent(const Store& store, uint64_t from, uint64_t to,
                  const std::function<bool(uint64_t, std::string_view)>& visit) {
  std::string end = to == 0 ? std::string() : keys::eventKey(to + 1);
  if (to == UINT64_MAX) end.clear();
  store.scanRange(keys::Family::events, keys::eventKey(from), end,
                  [&](std::string_view key, std::string_view value) {
                    return visit(keys::readFixed64(key).value_or(0), value);
                  });
}

std::vector<uint64_t> streamSequences(const Store& store, std::string_view streamId) {
  std::vector<uint64_t> out;
  store.scanPrefix(keys::Family::streams, keys::streamPrefix(streamId),
                   [&](std::string_view, std::string_view value) {
                     out.push_back(keys::readFixed64(value).value_or(0));
                     return true;
                   });
  return out;
}

namespace {

std::string n(uint64_t v) { return std::to_string(v); }

std::optional<DecodedEvent> decodeStored(const Store& store, uint64_t seq) {
  auto bytes = readEvent(store, seq);
  if (!bytes) return std::nullopt;
  std::string ignored;
  return DecodedEvent::decode(*bytes, &ignored);
}

std::optional<uint64_t> nextStored(const Store& store, uint64_t from) {
  std::optional<uint64_t> next;
  forEachEvent(store, from, 0, [&](uint64_t seq, std::string_view) {
    next = seq;
    return false;
  });
  return next;
}

// Meta values may be damaged too; that is a finding, not a reason to stop explaining.
std::optional<uint64_t> metaLastSeq(const Store& store) {
  try {
    return store.lastSeq();
  } catch (const StoreError&) {
    return std::nullopt;
  }
}

std::optional<Digest> metaChainHead(const Store& store) {
  try {
    return store.chainHead();
  } catch (const StoreError&) {
    return std::nullopt;
  }
}

}  // namespace

ChainBreak diagnoseChainBreak(const Store& store, uint64_t k, std::string_view verifierError) {
  const auto metaLast = metaLastSeq(store);
  const auto metaHead = metaChainHead(store);

  auto bytes = readEvent(store, k);
  if (!bytes) {
    if (auto next = nextStored(store, k)) {
      std::string missing = *next == k + 1 ? "event " + n(k) + " is missing"
                                           : "events " + n(k) + " to " + n(*next - 1) + " are missing";
      return {k, missing + " from the log (the next stored event is " + n(*next) +
                     "): events were deleted"};
    }
    // The log ends at k-1 and its meta disagrees.
    const uint64_t last = k - 1;
    if (!metaLast || !metaHead) return {last, "meta/last_seq or meta/chain_head is damaged"};
    if (*metaLast > last) {
      return {k, "the log ends at event " + n(last) + " but meta/last_seq records " +
                     n(*metaLast) + ": events " + n(k) + " to " + n(*metaLast) +
                     " were removed from its end"};
    }
    if (*metaLast < last) {
      return {*metaLast + 1, "meta/last_seq records " + n(*metaLast) +
                                 " but the log holds events to " + n(last) + ": events after " +
                                 n(*metaLast) + " were not written by pitd's writer"};
    }
    return {last, "event " + n(last) +
                      " was altered: it does not hash to meta/chain_head (or meta/chain_head was "
                      "altered)"};
  }

  std::string error;
  auto event = DecodedEvent::decode(*bytes, &error);
  if (!event) return {k, "event " + n(k) + " does not decode (" + error + "): it was altered"};
  if (event->reader().getSeq() != k) {
    return {k, std::string(verifierError) + ": it was altered or moved"};
  }
  if (k == 1) return {1, "event 1's prevHash is not zeros: event 1 was altered"};

  // The link k-1 -> k is broken. If k still links to its successor, k is intact and k-1 was
  // altered; if not, k itself changed (its prevHash field).
  const Digest hashK = event->hash();
  bool successorAgrees = false;
  std::string successor;
  if (auto next = decodeStored(store, k + 1)) {
    successorAgrees = next->prevHash() == hashK;
    successor = "event " + n(k + 1) + "'s prevHash";
  } else {
    successorAgrees = metaLast == k && metaHead == hashK;
    successor = "meta/chain_head";
  }
  if (successorAgrees) {
    return {k - 1, "event " + n(k - 1) + " was altered: it no longer hashes to the prevHash that "
                       "event " + n(k) + " recorded"};
  }
  return {k, "event " + n(k) + " was altered: its prevHash does not match event " + n(k - 1) +
                 ", and its hash does not match " + successor};
}

std::optional<std::string> ChainVerifier::feed(uint64_t keySeq, std::string_view bytes,
                                               std::optional<DecodedEvent>* decoded) {
  const uint64_t expected = position_.lastSeq + 1;
  if (keySeq != expected) {
    return keySeq > expected
               ? "event " + std::to_string(expected) + " is missing (next stored is " +
                     std::to_string(keySeq) + ")"
               : "event key " + std::to_string(keySeq) + " is out of order";
  }
  std::string error;
  auto event = DecodedEvent::decode(bytes, &error);
  if (!event) return error;
  if (event->reader().getSeq() != keySeq) {
    return "event stored under " + std::to_string(keySeq) + " says it is " +
           std::to_string(event->reader().getSeq());
  }
  if (event->prevHash() != position_.head) {
    return "prevHash does not match the hash of event " + std::to_string(position_.lastSeq) +
           " (the log was altered at or before this event)";
  }
  position_ = {keySeq, chainHash(position_.head, bytes)};
  if (decoded) *decoded = std::move(event);
  return std::nullopt;
}

std::optional<std::string> ChainVerifier::checkMeta(const Store& store) const {
  if (store.lastSeq() != position_.lastSeq) {
    return "meta/last_seq is " + std::to_string(store.lastSeq()) + " but the log ends at " +
           std::to_string(position_.lastSeq);
  }
  if (store.chainHead() != position_.head) {
    return "meta/chain_head does not match the hash of the last event";
  }
  return std::nullopt;
}

}  // namespace pitlog::events
