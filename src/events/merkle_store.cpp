#include "events/merkle_store.h"

#include "events/event.h"
#include "events/log.h"

namespace pitlog::events {

merkle::Hash StoreNodeSource::node(uint32_t level, uint64_t index) const {
  auto value = store_.get(keys::Family::merkle, keys::merkleNodeKey(level, index));
  auto hash = value ? digestFromBytes(*value) : std::nullopt;
  if (!hash) {
    throw StoreError("the log's Merkle tree lacks node (level " + std::to_string(level) +
                     ", index " + std::to_string(index) + "): run pit-replay verify");
  }
  return *hash;
}

void putMerkleNodes(const Store& store, rocksdb::WriteBatch& batch,
                    const std::vector<merkle::Node>& nodes) {
  auto* family = store.family(keys::Family::merkle);
  for (const auto& n : nodes) {
    batch.Put(family, keys::merkleNodeKey(n.level, n.index), Sha256::asView(n.hash));
  }
}

uint64_t buildMissingMerkleTree(Store& store) {
  const uint64_t last = store.lastSeq();
  // Every batch writes its events' nodes, so the last leaf's node is there iff the tree is.
  if (last == 0 || store.get(keys::Family::merkle, keys::merkleNodeKey(0, last - 1))) return 0;
  merkle::TreeAppender tree;
  std::vector<merkle::Node> created;
  rocksdb::WriteBatch batch;
  // The last write syncs: the nodes are durable before any batch builds on them.
  auto flush = [&](bool sync) {
    putMerkleNodes(store, batch, created);
    created.clear();
    auto outcome = store.write(batch, sync);
    if (!outcome.ok) throw StoreError("cannot write the log's Merkle tree: " + outcome.message);
    batch.Clear();
  };
  std::string failure;
  forEachEvent(store, 1, last, [&](uint64_t seq, std::string_view bytes) {
    std::string error;
    auto event = DecodedEvent::decode(bytes, &error);
    if (seq != tree.size() + 1 || !event) {
      failure = "event " + std::to_string(tree.size() + 1) + " is missing or does not decode";
      return false;
    }
    tree.append(merkle::eventLeafHash(event->hash()), &created);
    if (created.size() >= 4096) flush(false);
    return true;
  });
  if (failure.empty() && tree.size() != last) {
    failure = "the log ends at event " + std::to_string(tree.size()) + ", not " +
              std::to_string(last);
  }
  if (!failure.empty()) {
    throw StoreError("cannot build the log's Merkle tree: " + failure + "; run pit-replay verify");
  }
  flush(true);
  return last;
}

}  // namespace pitlog::events
