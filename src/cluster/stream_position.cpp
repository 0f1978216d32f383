#include "cluster/stream_position.h"

#include "events/keys.h"

namespace pitlog::cluster {

std::optional<uint64_t> recordedStreamPosition(const events::Store& store) {
  auto stored = store.get(events::keys::Family::meta, kMetaStreamPosition);
  if (!stored) return std::nullopt;
  auto position = events::keys::readFixed64(*stored);
  if (!position) throw events::StoreError("meta/stream_position is damaged");
  return *position;
}

void recordStreamPosition(const events::Store& store, rocksdb::WriteBatch& batch,
                          uint64_t position) {
  const std::string value = events::keys::fixed64(position);
  batch.Put(store.family(events::keys::Family::meta),
            rocksdb::Slice(kMetaStreamPosition.data(), kMetaStreamPosition.size()), value);
}

}  // namespace pitlog::cluster
