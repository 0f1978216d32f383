#include "events/merkle.h"

#include <kj/debug.h>

#include <bit>

namespace pitlog::events::merkle {

namespace {

Sha256& hasher() {
  thread_local Sha256 h;
  return h;
}

bool isPowerOfTwo(uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }

// k of RFC 9162 §2.1.1: the largest power of two smaller than n. REQUIRES: n > 1.
uint64_t splitPoint(uint64_t n) { return uint64_t{1} << (63 - std::countl_zero(n - 1)); }

// MTH(D[begin:end]). Every range the RFC's recursions visit starts at a multiple of the smallest
// power of two ≥ its length, so it is either one complete node or splits into a complete left
// node and a smaller such range: O(log n) node reads.
Hash rangeHash(const NodeSource& nodes, uint64_t begin, uint64_t end) {
  uint64_t n = end - begin;
  if (isPowerOfTwo(n)) {
    auto level = static_cast<uint32_t>(std::countr_zero(n));
    return nodes.node(level, begin >> level);
  }
  uint64_t k = splitPoint(n);
  return interiorHash(rangeHash(nodes, begin, begin + k), rangeHash(nodes, begin + k, end));
}

// PATH(m, D[begin:end]) of §2.1.3.1, m relative to begin.
void path(const NodeSource& nodes, uint64_t m, uint64_t begin, uint64_t end,
          std::vector<Hash>* out) {
  uint64_t n = end - begin;
  if (n <= 1) return;
  uint64_t k = splitPoint(n);
  if (m < k) {
    path(nodes, m, begin, begin + k, out);
    out->push_back(rangeHash(nodes, begin + k, end));
  } else {
    path(nodes, m - k, begin + k, end, out);
    out->push_back(rangeHash(nodes, begin, begin + k));
  }
}

// SUBPROOF(m, D[begin:end], whole) of §2.1.4.1.
void subproof(const NodeSource& nodes, uint64_t m, uint64_t begin, uint64_t end, bool whole,
              std::vector<Hash>* out) {
  uint64_t n = end - begin;
  if (m == n) {
    if (!whole) out->push_back(rangeHash(nodes, begin, end));
    return;
  }
  uint64_t k = splitPoint(n);
  if (m <= k) {
    subproof(nodes, m, begin, begin + k, whole, out);
    out->push_back(rangeHash(nodes, begin + k, end));
  } else {
    subproof(nodes, m - k, begin + k, end, false, out);
    out->push_back(rangeHash(nodes, begin, begin + k));
  }
}

// The index arithmetic shared by both verification algorithms (§2.1.3.2 step 3, §2.1.4.2 step 6):
// whether proof element c is a left sibling, and the shifts after it. Depends on fn and sn only,
// so counting the steps until sn reaches 0 gives the proof length a valid proof has.
struct Walk {
  uint64_t fn, sn;
  // True when the next element combines on the left (HASH(0x01 ‖ c ‖ r)); advances.
  bool step() {
    bool left = (fn & 1) != 0 || fn == sn;
    if (left && (fn & 1) == 0) {
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    }
    fn >>= 1;
    sn >>= 1;
    return left;
  }
  size_t remainingSteps() const {
    Walk w = *this;
    size_t count = 0;
    while (w.sn != 0) {
      w.step();
      ++count;
    }
    return count;
  }
};

std::string hashCount(size_t n) { return std::to_string(n) + (n == 1 ? " hash" : " hashes"); }

}  // namespace

Hash leafHash(std::string_view data) {
  static constexpr char kLeafPrefix = 0x00;
  return hasher().update({&kLeafPrefix, 1}).update(data).finish();
}

Hash interiorHash(const Hash& left, const Hash& right) {
  static constexpr char kInteriorPrefix = 0x01;
  return hasher().update({&kInteriorPrefix, 1}).update(left).update(right).finish();
}

Hash emptyTreeHash() { return hasher().finish(); }

Hash treeHead(const NodeSource& nodes, uint64_t size) {
  if (size == 0) return emptyTreeHash();
  return rangeHash(nodes, 0, size);
}

std::optional<std::string> inclusionRangeError(uint64_t leafIndex, uint64_t treeSize,
                                               uint64_t logSize) {
  if (treeSize > logSize) {
    return "tree size " + std::to_string(treeSize) + " is larger than the log (" +
           std::to_string(logSize) + " leaves)";
  }
  if (leafIndex >= treeSize) {
    return "leaf index " + std::to_string(leafIndex) + " is not in a tree of size " +
           std::to_string(treeSize) + " (it must be smaller than the size)";
  }
  return std::nullopt;
}

std::optional<std::string> consistencyRangeError(uint64_t from, uint64_t to, uint64_t logSize) {
  if (to > logSize) {
    return "tree size " + std::to_string(to) + " is larger than the log (" +
           std::to_string(logSize) + " leaves)";
  }
  if (from > to) {
    return "the old tree size " + std::to_string(from) + " is larger than the new one (" +
           std::to_string(to) + ")";
  }
  return std::nullopt;
}

std::vector<Hash> inclusionProof(const NodeSource& nodes, uint64_t leafIndex, uint64_t treeSize) {
  KJ_REQUIRE(leafIndex < treeSize, leafIndex, treeSize, "leaf index out of range");
  std::vector<Hash> out;
  path(nodes, leafIndex, 0, treeSize, &out);
  return out;
}

std::vector<Hash> consistencyProof(const NodeSource& nodes, uint64_t from, uint64_t to) {
  KJ_REQUIRE(from <= to, from, to, "old tree size larger than the new one");
  std::vector<Hash> out;
  if (from == 0 || from == to) return out;
  subproof(nodes, from, 0, to, true, &out);
  return out;
}

Verdict verifyInclusion(uint64_t leafIndex, uint64_t treeSize, const Hash& leaf,
                        const std::vector<Hash>& proof, const Hash& root) {
  if (leafIndex >= treeSize) {
    return {"leaf index " + std::to_string(leafIndex) + " is not in a tree of size " +
            std::to_string(treeSize)};
  }
  Walk walk{leafIndex, treeSize - 1};
  size_t expected = walk.remainingSteps();
  if (proof.size() != expected) {
    return {"the proof has " + hashCount(proof.size()) + "; leaf " + std::to_string(leafIndex) +
            " of a tree of size " + std::to_string(treeSize) + " needs " + hashCount(expected)};
  }
  Hash r = leaf;
  for (const Hash& p : proof) r = walk.step() ? interiorHash(p, r) : interiorHash(r, p);
  KJ_ASSERT(walk.sn == 0, leafIndex, treeSize, "proof length check out of step with the walk");
  if (r != root) {
    return {"the proof leads to root " + toHex(r) + ", not to the tree head " + toHex(root)};
  }
  return {};
}

Verdict verifyConsistency(uint64_t from, uint64_t to, const Hash& fromRoot, const Hash& toRoot,
                          const std::vector<Hash>& proof) {
  if (from > to) {
    return {"the old tree size " + std::to_string(from) + " is larger than the new one (" +
            std::to_string(to) + ")"};
  }
  if (from == to || from == 0) {
    if (!proof.empty()) {
      return {"the proof has " + hashCount(proof.size()) + "; from size " + std::to_string(from) +
              " to " + std::to_string(to) + " it must be empty"};
    }
    if (from == 0 && fromRoot != emptyTreeHash()) {
      return {"the old root " + toHex(fromRoot) + " is not the empty tree's hash"};
    }
    if (from == to && fromRoot != toRoot) {
      return {"two trees of size " + std::to_string(from) + " have different roots " +
              toHex(fromRoot) + " and " + toHex(toRoot)};
    }
    return {};
  }
  // §2.1.4.2 steps 2–4: when `from` is a power of two the old root is the path's first element.
  bool seeded = isPowerOfTwo(from);
  Walk walk{from - 1, to - 1};
  while ((walk.fn & 1) != 0) {
    walk.fn >>= 1;
    walk.sn >>= 1;
  }
  size_t expected = walk.remainingSteps() + (seeded ? 0 : 1);
  if (proof.size() != expected) {
    return {"the proof has " + hashCount(proof.size()) + "; from size " + std::to_string(from) +
            " to " + std::to_string(to) + " it needs " + hashCount(expected)};
  }
  size_t next = 0;
  const Hash& first = seeded ? fromRoot : proof[next++];
  Hash fr = first, sr = first;
  for (; next < proof.size(); ++next) {
    const Hash& c = proof[next];
    if (walk.step()) {
      fr = interiorHash(c, fr);
      sr = interiorHash(c, sr);
    } else {
      sr = interiorHash(sr, c);
    }
  }
  KJ_ASSERT(walk.sn == 0, from, to, "proof length check out of step with the walk");
  if (fr != fromRoot) {
    return {"the proof leads to old root " + toHex(fr) + ", not to " + toHex(fromRoot)};
  }
  if (sr != toRoot) {
    return {"the proof leads to new root " + toHex(sr) + ", not to " + toHex(toRoot)};
  }
  return {};
}

TreeAppender TreeAppender::resume(const NodeSource& nodes, uint64_t size) {
  TreeAppender a;
  a.size_ = size;
  for (int level = 63; level >= 0; --level) {
    if ((size >> level & 1) == 0) continue;
    uint64_t index = size >> level & ~uint64_t{1};  // the complete node left of the edge
    auto l = static_cast<uint32_t>(level);
    a.frontier_.push_back({l, index, nodes.node(l, index)});
  }
  return a;
}

void TreeAppender::append(const Hash& leaf, std::vector<Node>* created) {
  KJ_REQUIRE(size_ < ~uint64_t{0} >> 1, size_, "tree full");
  Node node{0, size_, leaf};
  created->push_back(node);
  while (!frontier_.empty() && frontier_.back().level == node.level) {
    node = Node{node.level + 1, node.index >> 1, interiorHash(frontier_.back().hash, node.hash)};
    frontier_.pop_back();
    created->push_back(node);
  }
  frontier_.push_back(node);
  ++size_;
}

Hash TreeAppender::root() const {
  if (frontier_.empty()) return emptyTreeHash();
  Hash h = frontier_.back().hash;
  for (size_t i = frontier_.size() - 1; i-- > 0;) h = interiorHash(frontier_[i].hash, h);
  return h;
}

void MemoryTree::append(const Hash& leaf) {
  scratch_.clear();
  appender_.append(leaf, &scratch_);
  for (const Node& n : scratch_) {
    if (levels_.size() <= n.level) levels_.resize(n.level + 1);
    KJ_ASSERT(levels_[n.level].size() == n.index, n.level, n.index, "nodes emitted out of order");
    levels_[n.level].push_back(n.hash);
  }
}

Hash MemoryTree::node(uint32_t level, uint64_t index) const {
  KJ_REQUIRE(level < levels_.size() && index < levels_[level].size(), level, index, size(),
             "no such complete node in this tree");
  return levels_[level][index];
}

}  // namespace pitlog::events::merkle
