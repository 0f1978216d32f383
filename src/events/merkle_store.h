#pragma once
// The Merkle tree over the log (merkle.h) as the store keeps it: the merkle family holds every
// complete subtree node (keys.h), written by LogAppender in the batch that appends the events
// that complete it, so a tree head or proof for any size up to meta/last_seq reads O(log n) nodes.
#include <rocksdb/write_batch.h>

#include <vector>

#include "events/merkle.h"
#include "events/store.h"

namespace pitlog::events {

// Reads nodes from the merkle family. A node that is not there (or not 32 bytes) throws
// StoreError: the caller asked only for nodes of a tree the log holds, so it is damage.
class StoreNodeSource final : public merkle::NodeSource {
 public:
  explicit StoreNodeSource(const Store& store) : store_(store) {}
  merkle::Hash node(uint32_t level, uint64_t index) const override;

 private:
  const Store& store_;
};

// Puts each node into the batch's merkle family.
void putMerkleNodes(const Store& store, rocksdb::WriteBatch& batch,
                    const std::vector<merkle::Node>& nodes);

// When the merkle family does not cover the log (a database written before it existed, or by a
// build that did not keep it), rebuilds every node from the events, in batches. Returns the
// number of leaves rebuilt (0 when the tree was whole). Read-write stores only, before writing.
uint64_t buildMissingMerkleTree(Store& store);

}  // namespace pitlog::events
