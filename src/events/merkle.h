#pragma once
// The Merkle tree over the log, as RFC 9162 (Certificate Transparency 2.0) §2.1 defines it:
//
//   leaf hash      := SHA-256(0x00 ‖ leaf data)       the leaf data of event seq n is its `hash`
//   interior hash  := SHA-256(0x01 ‖ left ‖ right)
//   MTH({})        := SHA-256("")
//   MTH(D[n])      := HASH(0x01 ‖ MTH(D[0:k]) ‖ MTH(D[k:n])), k the largest power of two < n
//
// Node addressing: node (level L, index I) is the complete subtree over leaves [I·2^L, (I+1)·2^L);
// level 0 holds the leaf hashes. A tree of size n is fully described by the complete nodes it
// holds (TreeAppender emits them, ~2 per leaf), and every tree head or proof for any size ≤ n is
// O(log n) node reads (NodeSource). The store keeps the nodes of level ≥ 4 and computes the lower
// ones from at most 16 events (events/merkle_store.h).
//
// Generation (treeHead, inclusionProof, consistencyProof) takes sizes the caller has checked with
// inclusionRangeError/consistencyRangeError (their messages are meant for a 400) and throws
// (KJ_REQUIRE) when they are out of range anyway. Verification functions are pure, total, and
// return a precise reason on failure; they never throw.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/digest.h"

namespace pitlog::events::merkle {

using Hash = Digest;

// SHA-256(0x00 ‖ data): the leaf hash of arbitrary leaf data (the RFC's test vectors use this).
Hash leafHash(std::string_view data);
// The leaf hash of an event: its 32-byte chain `hash` is the leaf data.
inline Hash eventLeafHash(const Digest& eventHash) { return leafHash(Sha256::asView(eventHash)); }
// SHA-256(0x01 ‖ left ‖ right).
Hash interiorHash(const Hash& left, const Hash& right);
// MTH of the empty tree: SHA-256 of the empty string.
Hash emptyTreeHash();

// A complete subtree: the hash of leaves [index << level, (index + 1) << level).
struct Node {
  uint32_t level = 0;
  uint64_t index = 0;
  Hash hash{};
  bool operator==(const Node&) const = default;
};

// Where proofs read complete subtree hashes from: RocksDB in the server, memory in the tools and
// tests. node() is only asked for nodes complete in a tree the caller vouched for (size ≤ what was
// appended); a node the source does not hold is corruption and throws.
class NodeSource {
 public:
  virtual ~NodeSource() = default;
  virtual Hash node(uint32_t level, uint64_t index) const = 0;
};

// MTH(D[size]) from stored complete nodes: popcount(size) - 1 interior hashes.
Hash treeHead(const NodeSource& nodes, uint64_t size);

// Nullopt when the arguments are in range for a log of logSize leaves, else a sentence naming the
// value and its bound, fit for a 400: leafIndex < treeSize ≤ logSize; from ≤ to ≤ logSize.
std::optional<std::string> inclusionRangeError(uint64_t leafIndex, uint64_t treeSize,
                                               uint64_t logSize);
std::optional<std::string> consistencyRangeError(uint64_t from, uint64_t to, uint64_t logSize);

// RFC 9162 §2.1.3.1 PATH(leafIndex, D[treeSize]), deepest sibling first.
// REQUIRES: leafIndex < treeSize.
std::vector<Hash> inclusionProof(const NodeSource& nodes, uint64_t leafIndex, uint64_t treeSize);
// RFC 9162 §2.1.4.1 PROOF(from, D[to]); empty when from == 0 or from == to.
// REQUIRES: from ≤ to.
std::vector<Hash> consistencyProof(const NodeSource& nodes, uint64_t from, uint64_t to);

// The outcome of a verification: ok, or why not (one sentence, no trailing period).
struct [[nodiscard]] Verdict {
  std::string failure;  // empty when the proof holds
  bool ok() const { return failure.empty(); }
  explicit operator bool() const { return ok(); }
};

// RFC 9162 §2.1.3.2: does `proof` show that `leaf` is leaf leafIndex of the tree of treeSize
// leaves whose head is `root`?
Verdict verifyInclusion(uint64_t leafIndex, uint64_t treeSize, const Hash& leaf,
                        const std::vector<Hash>& proof, const Hash& root);
// RFC 9162 §2.1.4.2: does `proof` show that the tree (from, fromRoot) is a prefix of the tree
// (to, toRoot)? from == to holds with an empty proof and equal roots; from == 0 holds with an
// empty proof when fromRoot is the empty tree's hash.
Verdict verifyConsistency(uint64_t from, uint64_t to, const Hash& fromRoot, const Hash& toRoot,
                          const std::vector<Hash>& proof);

// Keeps the right edge of the tree (the complete subtrees of its size's binary decomposition,
// at most 64) and emits every complete node each append creates: the leaf and each parent it
// completes, so 2 per leaf on average. A value type (≤ 64 hashes): the write path copies it,
// appends a commit's leaves, stores the emitted nodes in the commit's WriteBatch, and keeps the
// copy only once the batch is durable, so a failed commit leaves the tree unchanged.
class TreeAppender {
 public:
  TreeAppender() = default;
  // The appender for a tree of `size` leaves whose complete nodes `nodes` holds (at start-up).
  static TreeAppender resume(const NodeSource& nodes, uint64_t size);

  // Appends one leaf hash; appends the nodes it completes to *created (level 0 first).
  void append(const Hash& leaf, std::vector<Node>* created);

  uint64_t size() const { return size_; }
  // MTH of the current tree, from the frontier alone.
  Hash root() const;
  // The frontier, highest level (leftmost) first.
  const std::vector<Node>& frontier() const { return frontier_; }

 private:
  std::vector<Node> frontier_;
  uint64_t size_ = 0;
};

// Every complete node of a tree held in memory: the offline tools and the tests.
class MemoryTree final : public NodeSource {
 public:
  void append(const Hash& leaf);
  uint64_t size() const { return appender_.size(); }
  Hash root() const { return appender_.root(); }
  Hash node(uint32_t level, uint64_t index) const override;

 private:
  TreeAppender appender_;
  std::vector<std::vector<Hash>> levels_;  // levels_[L][I]
  std::vector<Node> scratch_;
};

}  // namespace pitlog::events::merkle
