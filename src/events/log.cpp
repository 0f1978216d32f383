#include "events/log.h"

#include <openssl/rand.h>

namespace pitlog::events {

static rocksdb::Slice slice(std::string_view s) { return {s.data(), s.size()}; }

LogAppender::LogAppender(const Store& store) : store_(store) {
  committed_ = {store.lastSeq(), store.chainHead()};
  pending_ = committed_;
}

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

    batch.Put(store_.family(keys::Family::events), keys::eventKey(env.seq), appended.bytes);
    batch.Put(store_.family(keys::Family::streams), keys::streamKey(e.streamId, env.streamVersion),
              keys::fixed64(env.seq));
    pending_ = {env.seq, appended.hash};
    pendingVersions_[e.streamId] = env.streamVersion;
    out.push_back(std::move(appended));
  }
  return out;
}

void LogAppender::finishBatch(rocksdb::WriteBatch& batch) {
  auto* meta = store_.family(keys::Family::meta);
  batch.Put(meta, slice(keys::kMetaLastSeq), keys::fixed64(pending_.lastSeq));
  batch.Put(meta, slice(keys::kMetaChainHead), std::string(Sha256::asView(pending_.head)));
}

void LogAppender::commitBatch() {
  committed_ = pending_;
  pendingVersions_.clear();
}

void LogAppender::abortBatch() {
  pending_ = committed_;
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
