// The log's Merkle tree (src/events/merkle.h): RFC 9162 tree heads and proofs against the
// published test vectors, then properties over random trees.
#include <catch2/catch.hpp>

#include <bit>
#include <random>
#include <string>
#include <vector>

#include "events/merkle.h"

namespace mk = ::pitlog::events::merkle;
using mk::Hash;

namespace {

Hash h(const char* hex) { return *pitlog::events::digestFromHex(hex); }

std::string bytes(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) out += char(std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}

// Test vectors of github.com/transparency-dev/merkle (Apache-2.0), testonly/constants.go
// (LeafInputs, NodeHashes, RootHashes) and proof/verify_test.go (inclusionProofs,
// consistencyProofs) — the same vectors as google/certificate-transparency's RFC 6962 tests.
const std::vector<std::string> kLeafInputs = {
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f"};

// RootHashes()[n]: the tree head of the first n leaves.
const std::vector<Hash> kRoots = {
    h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")};

// NodeHashes()[level][index].
const std::vector<std::vector<Hash>> kNodes = {
    {h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
     h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
     h("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
     h("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
     h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
     h("4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"),
     h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
     h("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1")},
    {h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
     h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
     h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
     h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0")},
    {h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
     h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")},
    {h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")}};

struct InclusionVector {
  uint64_t leafIndex, treeSize;
  std::vector<Hash> proof;
};
// verify_test.go's inclusionProofs, with its 1-based leaf numbers made 0-based leaf indices.
const std::vector<InclusionVector> kInclusion = {
    {0, 1, {}},
    {0, 8,
     {h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
      h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
      h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")}},
    {5, 8,
     {h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
      h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
      h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")}},
    {2, 3, {h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")}},
    {1, 5,
     {h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
      h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
      h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")}}};

struct ConsistencyVector {
  uint64_t from, to;
  std::vector<Hash> proof;
};
// verify_test.go's consistencyProofs.
const std::vector<ConsistencyVector> kConsistency = {
    {1, 1, {}},
    {1, 8,
     {h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
      h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
      h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")}},
    {6, 8,
     {h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
      h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
      h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")}},
    {2, 5,
     {h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
      h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")}},
    {6, 7,
     {h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
      h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
      h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")}}};

mk::MemoryTree vectorTree(size_t size) {
  mk::MemoryTree tree;
  for (size_t i = 0; i < size; ++i) tree.append(mk::leafHash(bytes(kLeafInputs[i])));
  return tree;
}

Hash flipBit(Hash x, size_t bit) {
  x[bit / 8] ^= uint8_t(1u << (bit % 8));
  return x;
}

}  // namespace

TEST_CASE("Merkle tree heads and complete nodes match the RFC 6962 test vectors", "[merkle]") {
  CHECK(mk::emptyTreeHash() == kRoots[0]);
  for (size_t n = 0; n <= kLeafInputs.size(); ++n) {
    mk::MemoryTree tree = vectorTree(n);
    INFO("tree size " << n);
    CHECK(tree.root() == kRoots[n]);
    CHECK(mk::treeHead(tree, n) == kRoots[n]);
  }
  mk::MemoryTree full = vectorTree(8);
  for (uint32_t level = 0; level < kNodes.size(); ++level) {
    for (uint64_t index = 0; index < kNodes[level].size(); ++index) {
      INFO("node " << level << "/" << index);
      CHECK(full.node(level, index) == kNodes[level][index]);
    }
  }
  // A tree head of a smaller size comes from the same stored nodes: no rebuild.
  for (uint64_t n = 0; n <= 8; ++n) CHECK(mk::treeHead(full, n) == kRoots[n]);
}

TEST_CASE("Inclusion proofs match the published vectors and verify", "[merkle]") {
  mk::MemoryTree full = vectorTree(8);
  for (const auto& v : kInclusion) {
    INFO("leaf " << v.leafIndex << " of " << v.treeSize);
    CHECK(mk::inclusionProof(full, v.leafIndex, v.treeSize) == v.proof);
    Hash leaf = mk::leafHash(bytes(kLeafInputs[v.leafIndex]));
    auto verdict = mk::verifyInclusion(v.leafIndex, v.treeSize, leaf, v.proof, kRoots[v.treeSize]);
    CHECK(verdict.failure == "");
  }
}

TEST_CASE("Consistency proofs match the published vectors and verify", "[merkle]") {
  mk::MemoryTree full = vectorTree(8);
  for (const auto& v : kConsistency) {
    INFO("from " << v.from << " to " << v.to);
    CHECK(mk::consistencyProof(full, v.from, v.to) == v.proof);
    auto verdict = mk::verifyConsistency(v.from, v.to, kRoots[v.from], kRoots[v.to], v.proof);
    CHECK(verdict.failure == "");
  }
}

TEST_CASE("Verification refuses bad arguments with a precise reason", "[merkle]") {
  const Hash& root8 = kRoots[8];
  const auto& v = kInclusion[2];  // leaf 5 of 8
  Hash leaf = mk::leafHash(bytes(kLeafInputs[5]));
  CHECK(mk::verifyInclusion(8, 8, leaf, v.proof, root8).failure ==
        "leaf index 8 is not in a tree of size 8");
  auto longer = v.proof;
  longer.push_back(root8);
  CHECK(mk::verifyInclusion(5, 8, leaf, longer, root8).failure ==
        "the proof has 4 hashes; leaf 5 of a tree of size 8 needs 3 hashes");
  CHECK(mk::verifyInclusion(5, 8, leaf, {}, root8).failure ==
        "the proof has 0 hashes; leaf 5 of a tree of size 8 needs 3 hashes");
  CHECK(mk::verifyInclusion(4, 8, leaf, v.proof, root8).failure.rfind("the proof leads to root ", 0) ==
        0);
  // Same size or an empty old tree: the proof must be empty and the roots must agree.
  CHECK(mk::verifyConsistency(0, 8, mk::emptyTreeHash(), root8, {}).ok());
  CHECK(mk::verifyConsistency(8, 8, root8, root8, {}).ok());
  CHECK(mk::verifyConsistency(0, 8, root8, root8, {}).failure ==
        "the old root " + pitlog::events::toHex(root8) + " is not the empty tree's hash");
  CHECK(mk::verifyConsistency(8, 8, root8, root8, {root8}).failure ==
        "the proof has 1 hash; from size 8 to 8 it must be empty");
  CHECK(mk::verifyConsistency(7, 7, kRoots[7], root8, {}).failure.rfind("two trees of size 7", 0) ==
        0);
  CHECK(mk::verifyConsistency(8, 7, root8, kRoots[7], {}).failure ==
        "the old tree size 8 is larger than the new one (7)");
  CHECK(mk::verifyConsistency(6, 8, kRoots[6], root8, {}).failure ==
        "the proof has 0 hashes; from size 6 to 8 it needs 3 hashes");
  CHECK(mk::verifyConsistency(6, 8, kRoots[5], root8, kConsistency[2].proof)
            .failure.rfind("the proof leads to old root ", 0) == 0);
}

TEST_CASE("Range checks name the value and its bound", "[merkle]") {
  CHECK(mk::inclusionRangeError(3, 5, 5) == std::nullopt);
  CHECK(mk::inclusionRangeError(5, 5, 9) ==
        "leaf index 5 is not in a tree of size 5 (it must be smaller than the size)");
  CHECK(mk::inclusionRangeError(0, 10, 9) == "tree size 10 is larger than the log (9 leaves)");
  CHECK(mk::consistencyRangeError(0, 9, 9) == std::nullopt);
  CHECK(mk::consistencyRangeError(4, 3, 9) == "the old tree size 4 is larger than the new one (3)");
  CHECK(mk::consistencyRangeError(1, 10, 9) == "tree size 10 is larger than the log (9 leaves)");
  mk::MemoryTree tree = vectorTree(3);
  CHECK_THROWS(mk::inclusionProof(tree, 3, 3));
  CHECK_THROWS(mk::consistencyProof(tree, 3, 2));
  CHECK_THROWS(tree.node(0, 3));  // a node the tree does not hold is never invented
}

TEST_CASE("The appender emits each complete node once, about two per leaf", "[merkle]") {
  mk::TreeAppender appender;
  std::vector<mk::Node> created;
  const uint64_t kLeaves = 1000;
  for (uint64_t i = 0; i < kLeaves; ++i) {
    size_t before = created.size();
    appender.append(mk::leafHash(std::to_string(i)), &created);
    // The leaf, then one parent per trailing one bit of i.
    CHECK(created.size() - before == 1 + size_t(std::countr_one(i)));
    CHECK(created[before] == mk::Node{0, i, mk::leafHash(std::to_string(i))});
  }
  // Every complete subtree of a 1000-leaf tree, exactly once: sum over levels of 1000 >> level.
  size_t complete = 0;
  for (uint64_t n = kLeaves; n > 0; n >>= 1) complete += n;
  CHECK(created.size() == complete);
  CHECK(created.size() < 2 * kLeaves);
}

TEST_CASE("An appender resumed from stored nodes continues the same tree", "[merkle]") {
  mk::MemoryTree tree;
  for (int i = 0; i < 300; ++i) tree.append(mk::leafHash("x" + std::to_string(i)));
  for (uint64_t size : {0u, 1u, 2u, 7u, 64u, 255u, 300u}) {
    INFO("size " << size);
    mk::TreeAppender resumed = mk::TreeAppender::resume(tree, size);
    CHECK(resumed.size() == size);
    CHECK(resumed.root() == mk::treeHead(tree, size));
    mk::TreeAppender fresh;
    std::vector<mk::Node> ignored;
    for (uint64_t i = 0; i < size; ++i) fresh.append(mk::leafHash("x" + std::to_string(i)), &ignored);
    CHECK(resumed.frontier() == fresh.frontier());
    std::vector<mk::Node> a, b;
    resumed.append(mk::leafHash("next"), &a);
    fresh.append(mk::leafHash("next"), &b);
    CHECK(a == b);
  }
}

TEST_CASE("Property: every proof in random trees verifies, and every one-bit change fails",
          "[merkle][property]") {
  const uint64_t seed = Catch::rngSeed() ? Catch::rngSeed() : 20261128;
  std::mt19937_64 rng(seed);
  INFO("seed " << seed);
  mk::MemoryTree tree;
  std::vector<Hash> leaves, roots{mk::emptyTreeHash()};
  const uint64_t kMaxSize = 3000;
  for (uint64_t i = 0; i < kMaxSize; ++i) {
    Hash event{};
    for (auto& b : event) b = uint8_t(rng());
    leaves.push_back(mk::eventLeafHash(event));
    tree.append(leaves.back());
    roots.push_back(tree.root());
  }
  auto pick = [&](uint64_t lo, uint64_t hi) {  // uniform in [lo, hi]
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
  };
  std::vector<uint64_t> sizes = {1, 2, 3, 4, 5, 8, 1023, 1024, 1025, kMaxSize};
  for (int i = 0; i < 30; ++i) sizes.push_back(pick(1, kMaxSize));

  for (uint64_t size : sizes) {
    INFO("tree size " << size);
    REQUIRE(mk::treeHead(tree, size) == roots[size]);
    for (uint64_t leafIndex : {uint64_t{0}, size - 1, pick(0, size - 1), pick(0, size - 1)}) {
      INFO("leaf " << leafIndex);
      auto proof = mk::inclusionProof(tree, leafIndex, size);
      REQUIRE(mk::verifyInclusion(leafIndex, size, leaves[leafIndex], proof, roots[size]).ok());
      for (size_t p = 0; p < proof.size(); ++p) {
        for (size_t bit = 0; bit < 256; ++bit) {
          auto bad = proof;
          bad[p] = flipBit(bad[p], bit);
          REQUIRE_FALSE(mk::verifyInclusion(leafIndex, size, leaves[leafIndex], bad, roots[size]));
        }
      }
      for (size_t bit = 0; bit < 256; ++bit) {
        REQUIRE_FALSE(mk::verifyInclusion(leafIndex, size, flipBit(leaves[leafIndex], bit), proof,
                                          roots[size]));
        REQUIRE_FALSE(mk::verifyInclusion(leafIndex, size, leaves[leafIndex], proof,
                                          flipBit(roots[size], bit)));
      }
      if (size > 1) {
        uint64_t other = (leafIndex + 1) % size;
        REQUIRE_FALSE(mk::verifyInclusion(other, size, leaves[leafIndex], proof, roots[size]));
      }
    }
    for (uint64_t from : {uint64_t{1}, size, pick(1, size), pick(1, size)}) {
      INFO("from " << from);
      auto proof = mk::consistencyProof(tree, from, size);
      REQUIRE(mk::verifyConsistency(from, size, roots[from], roots[size], proof).ok());
      for (size_t p = 0; p < proof.size(); ++p) {
        for (size_t bit = 0; bit < 256; ++bit) {
          auto bad = proof;
          bad[p] = flipBit(bad[p], bit);
          REQUIRE_FALSE(mk::verifyConsistency(from, size, roots[from], roots[size], bad));
        }
      }
      for (size_t bit = 0; bit < 256; ++bit) {
        REQUIRE_FALSE(
            mk::verifyConsistency(from, size, flipBit(roots[from], bit), roots[size], proof));
        REQUIRE_FALSE(
            mk::verifyConsistency(from, size, roots[from], flipBit(roots[size], bit), proof));
      }
    }
  }
}

namespace {

// transparency-dev/merkle proof/verify_test.go (Apache-2.0): sha256SomeHash, and the probes of
// corruptInclusionProof and corruptConsistencyProof, which every published vector must fail.
// Go's probes use byte strings of other lengths ("WrongLeaf", []byte{}); a Hash is 32 bytes, so
// those become kSomeHash and the zero hash.
const Hash kSomeHash = h("abacaba000000000000000000000000000000000000000000060061e00123456");
const Hash kZero{};

std::vector<Hash> extend(std::vector<Hash> proof, const Hash& x) {
  proof.push_back(x);
  return proof;
}
std::vector<Hash> prepend(std::vector<Hash> proof, const Hash& x) {
  proof.insert(proof.begin(), x);
  return proof;
}

}  // namespace

TEST_CASE("The reference implementation's corrupted inclusion proofs all fail", "[merkle]") {
  for (const auto& v : kInclusion) {
    if (v.proof.empty()) continue;
    const uint64_t i = v.leafIndex, n = v.treeSize;
    const Hash leaf = mk::leafHash(bytes(kLeafInputs[i]));
    const Hash& root = kRoots[n];
    INFO("leaf " << i << " of " << n);
    REQUIRE(mk::verifyInclusion(i, n, leaf, v.proof, root).ok());
    struct Probe {
      const char* what;
      uint64_t index, size;
      Hash leaf, root;
      std::vector<Hash> proof;
    };
    std::vector<Probe> probes = {
        {"leafIndex - 1", i - 1, n, leaf, root, v.proof},
        {"leafIndex + 1", i + 1, n, leaf, root, v.proof},
        {"leafIndex ^ 2", i ^ 2, n, leaf, root, v.proof},
        {"treeSize * 2", i, n * 2, leaf, root, v.proof},
        {"treeSize / 2", i, n / 2, leaf, root, v.proof},
        {"wrong leaf", i, n, kSomeHash, root, v.proof},
        {"empty root", i, n, leaf, kRoots[0], v.proof},
        {"random root", i, n, leaf, kSomeHash, v.proof},
        {"trailing garbage", i, n, leaf, root, extend(v.proof, kZero)},
        {"trailing root", i, n, leaf, root, extend(v.proof, root)},
        {"preceding garbage", i, n, leaf, root, prepend(v.proof, kZero)},
        {"preceding root", i, n, leaf, root, prepend(v.proof, root)},
        {"removed component", i, n, leaf, root, {v.proof.begin(), v.proof.end() - 1}},
    };
    if (v.proof.size() > 1) {
      auto inserted = v.proof;
      inserted.insert(inserted.begin() + 1, kSomeHash);
      probes.push_back({"inserted component", i, n, leaf, root, inserted});
    }
    for (size_t p = 0; p < v.proof.size(); ++p) {
      auto bad = v.proof;
      bad[p][0] ^= 8;  // "modified proof[p] bit 3"
      probes.push_back({"modified component", i, n, leaf, root, bad});
    }
    for (const auto& p : probes) {
      INFO(p.what);
      CHECK_FALSE(mk::verifyInclusion(p.index, p.size, p.leaf, p.proof, p.root));
    }
  }
  // TestVerifyInclusionSingleEntry: the root of one leaf is its leaf hash; the proof is empty.
  const Hash one = mk::leafHash("data");
  CHECK(mk::verifyInclusion(0, 1, one, {}, one).ok());
  CHECK_FALSE(mk::verifyInclusion(0, 1, one, {}, kZero));
  CHECK_FALSE(mk::verifyInclusion(0, 1, kZero, {}, one));
  // TestVerifyInclusion's probes of impossible positions.
  for (auto [index, size] : {std::pair<uint64_t, uint64_t>{0, 0}, {1, 0}, {2, 1}}) {
    CHECK_FALSE(mk::verifyInclusion(index, size, kSomeHash, {}, kRoots[0]));
  }
}

TEST_CASE("The reference implementation's corrupted consistency proofs all fail", "[merkle]") {
  for (const auto& v : kConsistency) {
    if (v.proof.empty()) continue;
    const uint64_t m = v.from, n = v.to;
    const Hash &r1 = kRoots[m], &r2 = kRoots[n];
    INFO("from " << m << " to " << n);
    REQUIRE(mk::verifyConsistency(m, n, r1, r2, v.proof).ok());
    struct Probe {
      const char* what;
      uint64_t from, to;
      Hash root1, root2;
      std::vector<Hash> proof;
    };
    std::vector<Probe> probes = {
        {"size1 - 1", m - 1, n, r1, r2, v.proof},
        {"size1 + 1", m + 1, n, r1, r2, v.proof},
        {"size1 ^ 2", m ^ 2, n, r1, r2, v.proof},
        {"size2 * 2", m, n * 2, r1, r2, v.proof},
        {"size2 / 2", m, n / 2, r1, r2, v.proof},
        {"wrong root1", m, n, kSomeHash, r2, v.proof},
        {"wrong root2", m, n, r1, kSomeHash, v.proof},
        {"swapped roots", m, n, r2, r1, v.proof},
        {"empty proof", m, n, r1, r2, {}},
        {"trailing garbage", m, n, r1, r2, extend(v.proof, kZero)},
        {"trailing root1", m, n, r1, r2, extend(v.proof, r1)},
        {"trailing root2", m, n, r1, r2, extend(v.proof, r2)},
        {"preceding garbage", m, n, r1, r2, prepend(v.proof, kZero)},
        {"preceding root1", m, n, r1, r2, prepend(v.proof, r1)},
        {"preceding root2", m, n, r1, r2, prepend(v.proof, r2)},
        {"preceding proof[0]", m, n, r1, r2, prepend(v.proof, v.proof[0])},
        {"truncated proof", m, n, r1, r2, {v.proof.begin(), v.proof.end() - 1}},
    };
    for (size_t p = 0; p < v.proof.size(); ++p) {
      auto bad = v.proof;
      bad[p][0] ^= 16;  // "modified proof[p] bit 4"
      probes.push_back({"modified component", m, n, r1, r2, bad});
    }
    for (const auto& p : probes) {
      INFO(p.what);
      CHECK_FALSE(mk::verifyConsistency(p.from, p.to, p.root1, p.root2, p.proof));
    }
  }
  // TestVerifyConsistency's table. pitlog is stricter than Go for an empty old tree: its root must
  // be SHA-256("") (Go takes any), so {0, 1, "don't care"} is refused here.
  const Hash empty = mk::emptyTreeHash(), root1 = kSomeHash, root2 = kRoots[8];
  CHECK_FALSE(mk::verifyConsistency(0, 0, root1, root2, {}));
  CHECK_FALSE(mk::verifyConsistency(1, 1, root1, root2, {}));
  CHECK(mk::verifyConsistency(0, 0, empty, empty, {}).ok());
  CHECK(mk::verifyConsistency(0, 1, empty, root2, {}).ok());
  CHECK(mk::verifyConsistency(1, 1, root2, root2, {}).ok());
  CHECK_FALSE(mk::verifyConsistency(1, 0, root1, root2, {}));
  CHECK_FALSE(mk::verifyConsistency(2, 1, root1, root2, {}));
  CHECK_FALSE(mk::verifyConsistency(1, 2, root1, root2, {}));
  CHECK_FALSE(mk::verifyConsistency(0, 0, empty, root2, {}));
  CHECK_FALSE(mk::verifyConsistency(1, 1, empty, root2, {}));
  CHECK_FALSE(mk::verifyConsistency(0, 0, empty, empty, {empty}));
  CHECK_FALSE(mk::verifyConsistency(0, 1, empty, empty, {empty}));
  CHECK_FALSE(mk::verifyConsistency(1, 1, empty, empty, {empty}));
}
