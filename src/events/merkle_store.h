#pragma once
// The Merkle tree over the log (merkle.h) as the store keeps it. The merkle family holds the
// complete subtree nodes of level ≥ kFirstStoredLevel (keys.h), written by LogAppender in the
// batch that appends the events that complete them; a node below that level covers at most 2^4
// consecutive events and is computed from them when a proof needs it. A tree head or proof for any
// size up to meta/last_seq so reads O(log n) stored nodes and at most two runs of 16 events.
//
// Why not every node: the tree creates about two nodes per event, and in a group commit of 32
// events those 64 puts were a fifth of the synced write (bench/RESULTS.md, issue #12). Nodes of
// level ≥ 4 are one in eight of them.
#include <rocksdb/write_batch.h>

#include <vector>

#include "events/merkle.h"
#include "events/store.h"

namespace pitlog::events {

// Nodes of lower levels are computed from the events (2^kFirstStoredLevel leaves at most).
inline constexpr uint32_t kFirstStoredLevel = 4;
inline constexpr uint64_t kLeavesPerStoredBlock = uint64_t{1} << kFirstStoredLevel;

// Appends `leaf` to `tree` and appends to *stored the nodes it completes that the merkle family
// keeps: the one step of the write path, a rebuild at open and a rebuild by replay.
void appendLeaf(merkle::TreeAppender& tree, const merkle::Hash& leaf,
                std::vector<merkle::Node>* stored);

// Reads stored nodes from the merkle family and computes the lower ones from the events. A node
// that is not there (or not 32 bytes), or an event a lower node needs that is missing or does not
// decode, throws StoreError: the caller asked only for nodes of a tree the log holds, so it is
// damage. Keeps the leaf hashes of the last run of 16 events it read (the leaves of a proof's low
// nodes share one): one object serves one caller at a time.
class StoreNodeSource final : public merkle::NodeSource {
 public:
  explicit StoreNodeSource(const Store& store) : store_(store) {}
  merkle::Hash node(uint32_t level, uint64_t index) const override;

 private:
  merkle::Hash computed(uint32_t level, uint64_t index) const;

  const Store& store_;
  mutable uint64_t block_ = UINT64_MAX;       // the block whose leaves are in leaves_
  mutable std::vector<merkle::Hash> leaves_;  // its leaf hashes, as many as the log holds
};

// Puts each node into the batch's merkle family.
void putMerkleNodes(const Store& store, rocksdb::WriteBatch& batch,
                    const std::vector<merkle::Node>& nodes);

// Brings the merkle family to what this build keeps, before anything is written: deletes the
// nodes below kFirstStoredLevel that earlier builds stored, and when the family does not cover the
// log (a database written before it existed), rebuilds every stored node from the events, in
// batches. Returns the number of leaves rebuilt (0 when the tree was whole). Read-write stores only.
uint64_t buildMissingMerkleTree(Store& store);

}  // namespace pitlog::events
