#include "events/merkle_store.h"

#include "events/event.h"
#include "events/log.h"

namespace pitlog::events {

void appendLeaf(merkle::TreeAppender& tree, const merkle::Hash& leaf,
                std::vector<merkle::Node>* stored) {
  const size_t start = stored->size();
  tree.append(leaf, stored);
  // The created nodes come level 0 first: the ones kept are a suffix.
  auto kept = stored->begin() + static_cast<std::ptrdiff_t>(start);
  while (kept != stored->end() && kept->level < kFirstStoredLevel) ++kept;
  stored->erase(stored->begin() + static_cast<std::ptrdiff_t>(start), kept);
}

merkle::Hash StoreNodeSource::node(uint32_t level, uint64_t index) const {
  if (level < kFirstStoredLevel) return computed(level, index);
  auto value = store_.get(keys::Family::merkle, keys::merkleNodeKey(level, index));
  auto hash = value ? digestFromBytes(*value) : std::nullopt;
  if (!hash) {
    throw StoreError("the log's Merkle tree lacks node (level " + std::to_string(level) +
                     ", index " + std::to_string(index) + "): run pit-replay verify");
  }
  return *hash;
}

merkle::Hash StoreNodeSource::computed(uint32_t level, uint64_t index) const {
  const uint64_t first = index << level;  // leaf first is the event of seq first + 1
  const uint64_t block = first / kLeavesPerStoredBlock;
  const uint64_t offset = first - block * kLeavesPerStoredBlock, width = uint64_t{1} << level;
  // Leaves never change: the block read last serves until a node needs another block, or more of
  // the log's last block than was there when it was read.
  if (block != block_ || offset + width > leaves_.size()) {
    block_ = block;
    leaves_.clear();
    const uint64_t from = block * kLeavesPerStoredBlock + 1;
    forEachEvent(store_, from, from + kLeavesPerStoredBlock - 1,
                 [&](uint64_t seq, std::string_view bytes) {
                   std::string error;
                   auto event = DecodedEvent::decode(bytes, &error);
                   if (seq != from + leaves_.size() || !event) return false;
                   leaves_.push_back(merkle::eventLeafHash(event->hash()));
                   return true;
                 });
  }
  if (offset + width > leaves_.size()) {
    throw StoreError("the log's Merkle tree node (level " + std::to_string(level) + ", index " +
                     std::to_string(index) + ") needs event " +
                     std::to_string(block * kLeavesPerStoredBlock + leaves_.size() + 1) +
                     ", which is missing or does not decode: run pit-replay verify");
  }
  // The node is the head of the tree of its `width` leaves (a power of two: one complete subtree).
  merkle::TreeAppender subtree;
  std::vector<merkle::Node> ignored;
  for (uint64_t i = offset; i < offset + width; ++i) subtree.append(leaves_[i], &ignored);
  return subtree.root();
}

void putMerkleNodes(const Store& store, rocksdb::WriteBatch& batch,
                    const std::vector<merkle::Node>& nodes) {
  auto* family = store.family(keys::Family::merkle);
  for (const auto& n : nodes) {
    batch.Put(family, keys::merkleNodeKey(n.level, n.index), Sha256::asView(n.hash));
  }
}

namespace {

// Earlier builds stored every level; the nodes below kFirstStoredLevel are now computed, and
// pit-replay verify would find them stored but absent from the rebuild.
void dropUnstoredLevels(Store& store) {
  const std::string end(1, static_cast<char>(kFirstStoredLevel));  // keys sort by level first
  bool found = false;
  store.scanRange(keys::Family::merkle, std::string(), end, [&](std::string_view, std::string_view) {
    found = true;
    return false;
  });
  if (!found) return;
  rocksdb::WriteBatch batch;
  batch.DeleteRange(store.family(keys::Family::merkle), rocksdb::Slice(""), end);
  auto outcome = store.write(batch, true);
  if (!outcome.ok) {
    throw StoreError("cannot delete the log's Merkle nodes below level " +
                     std::to_string(kFirstStoredLevel) + ": " + outcome.message);
  }
}

}  // namespace

uint64_t buildMissingMerkleTree(Store& store) {
  dropUnstoredLevels(store);
  const uint64_t last = store.lastSeq();
  // Every batch writes the stored nodes its events complete, so the one completed by the last
  // whole block is there iff the tree is (a log of fewer events stores none).
  const uint64_t blocks = last / kLeavesPerStoredBlock;
  if (blocks == 0 ||
      store.get(keys::Family::merkle, keys::merkleNodeKey(kFirstStoredLevel, blocks - 1))) {
    return 0;
  }
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
    appendLeaf(tree, merkle::eventLeafHash(event->hash()), &created);
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
