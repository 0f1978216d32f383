// Log proofs (issue #12), three result lines:
//   proof_gen:  inclusion and consistency proofs of a log of N events, read from the merkle family
//               and the events of a real store as pitd's /v1/log/proof routes read them, in
//               proofs/s; beside it, the raw RocksDB reads they need (the floor: for each proof a
//               run of 16 events and a Get of a random stored node for each hash above level 4),
//               so ratio = proofs/s ÷ that rate.
//   tree_cost:  the commit path with and without the tree, in the same run, interleaved batch by
//               batch on two stores: B events through LogAppender (which adds the tree's nodes)
//               and a synced write. The baseline writes the same batch with the merkle family's
//               entries taken out, and its time excludes the tree's CPU (TreeAppender and
//               putMerkleNodes for the same leaves, timed alone), so slowdown = with ÷ without - 1;
//               tree_cpu_pct is that CPU as a share of the commit path's time (no fsync noise).
//   proof_size: hashes and JSON bytes of an inclusion and a consistency proof at N.
//
//   proofs_bench DIR [leaves=1000000 (≥ 64)] [runs=3] [batches=2000] [proofs=20000]
#include <rocksdb/write_batch.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "events/log.h"
#include "events/merkle_store.h"
#include "events/proof_json.h"

using namespace pitlog;
namespace merkle = events::merkle;
namespace fs = std::filesystem;
using bench::Clock;
using bench::secondsSince;

namespace {

std::unique_ptr<events::Store> openStore(const std::string& dir) {
  events::Store::Options o;
  o.path = dir;
  return events::Store::open(o);
}

merkle::Hash randomHash(std::mt19937_64& rng) {
  merkle::Hash h{};
  for (auto& b : h) b = static_cast<uint8_t>(rng());
  return h;
}

std::vector<events::NewEvent> someEvents(size_t count, uint64_t& next, std::mt19937_64& rng) {
  std::vector<events::NewEvent> out;
  for (size_t i = 0; i < count; ++i, ++next) {
    events::NewEvent e;
    e.streamId = "int_" + std::to_string(next);
    e.accountId = "acct-" + std::to_string(next % 5000);
    events::body::Created c;
    c.name = "app " + std::to_string(next);
    c.scopes = {"contacts.readonly", "contacts.write"};
    c.token = randomHash(rng);
    c.tokenHint = "AbCd";
    e.body = std::move(c);
    out.push_back(std::move(e));
  }
  return out;
}

// A log of `leaves` events written as the write path writes it (LogAppender: the events and the
// stored merkle nodes), in unsynced batches: proofs read both.
void buildTree(events::Store& store, uint64_t leaves) {
  std::mt19937_64 rng(1);
  events::LogAppender appender(store);
  events::EventContext ctx{{"acct-1", "admin", events::Role::admin}, "req-bench", 1795885200000};
  uint64_t next = 0;
  while (next < leaves) {
    auto batchEvents = someEvents(std::min<uint64_t>(1000, leaves - next), next, rng);
    rocksdb::WriteBatch batch;
    (void)appender.append(batch, batchEvents, ctx);
    appender.finishBatch(batch);
    if (!store.write(batch, false).ok) std::abort();
    appender.commitBatch();
  }
}

struct ProofRates {
  double inclusion = 0, consistency = 0, rawGets = 0;  // proofs/s; raw: proofs' worth of Gets/s
  double hashesPerProof = 0;
};

ProofRates measureProofs(const events::Store& store, uint64_t n, int proofs, uint64_t seed) {
  std::mt19937_64 rng(seed);
  events::StoreNodeSource nodes(store);
  ProofRates r;
  size_t hashes = 0;
  auto start = Clock::now();
  for (int i = 0; i < proofs; ++i) {
    auto p = merkle::inclusionProof(nodes, rng() % n, n);
    hashes += p.size();
    bench::keep(p);
  }
  r.inclusion = proofs / secondsSince(start);
  start = Clock::now();
  for (int i = 0; i < proofs; ++i) {
    auto p = merkle::consistencyProof(nodes, 1 + rng() % (n - 1), n);
    hashes += p.size();
    bench::keep(p);
  }
  r.consistency = proofs / secondsSince(start);
  r.hashesPerProof = double(hashes) / (2.0 * proofs);
  // The floor: for each proof, one read of a run of 16 events (its nodes below level 4) and as
  // many Gets of random stored nodes as it holds hashes above them.
  int levels = 0;
  while ((n >> levels) > 1) ++levels;
  const size_t storedGets = hashes - std::min<size_t>(hashes, 2 * proofs * events::kFirstStoredLevel);
  start = Clock::now();
  for (int i = 0; i < 2 * proofs; ++i) {
    size_t bytes = 0;
    const uint64_t block = events::kLeavesPerStoredBlock;
    const uint64_t first = 1 + (rng() % (n / block)) * block;
    events::forEachEvent(store, first, first + block - 1, [&](uint64_t, std::string_view v) {
      bytes += v.size();
      return true;
    });
    bench::keep(bytes);
  }
  for (size_t i = 0; i < storedGets; ++i) {
    uint32_t level = events::kFirstStoredLevel +
                     static_cast<uint32_t>(rng() % (levels - events::kFirstStoredLevel));
    auto v = store.get(events::keys::Family::merkle,
                       events::keys::merkleNodeKey(level, rng() % (n >> level)));
    if (!v) std::abort();
    bench::keep(v);
  }
  r.rawGets = (2.0 * proofs) / secondsSince(start);
  return r;
}

// Copies a batch without the merkle family's entries.
class WithoutMerkle : public rocksdb::WriteBatch::Handler {
 public:
  WithoutMerkle(const events::Store& target, uint32_t merkleId, rocksdb::WriteBatch* out)
      : target_(target), merkleId_(merkleId), out_(out) {}
  rocksdb::Status PutCF(uint32_t id, const rocksdb::Slice& key, const rocksdb::Slice& value) override {
    if (id == merkleId_) return rocksdb::Status::OK();
    for (int f = 0; f < events::keys::kFamilyCount; ++f) {
      auto* handle = target_.family(static_cast<events::keys::Family>(f));
      if (handle->GetID() == id) return out_->Put(handle, key, value);
    }
    std::abort();
  }

 private:
  const events::Store& target_;
  uint32_t merkleId_;
  rocksdb::WriteBatch* out_;
};

struct TreeCost {
  double withSeconds = 0, withoutSeconds = 0, treeCpuSeconds = 0;
};

TreeCost measureTreeCost(const std::string& dir, size_t perBatch, int batches, uint64_t seed) {
  fs::remove_all(dir);
  auto with = openStore(dir + "/with");
  auto without = openStore(dir + "/without");
  events::LogAppender appendWith(*with), appendWithout(*without);
  const uint32_t merkleId = without->family(events::keys::Family::merkle)->GetID();
  std::mt19937_64 rng(seed);
  uint64_t next = 0;
  events::EventContext ctx{{"acct-1", "admin", events::Role::admin}, "req-bench", 1795885200000};
  TreeCost cost;
  std::vector<merkle::Hash> leaves;
  for (int b = 0; b < batches; ++b) {
    auto batchEvents = someEvents(perBatch, next, rng);
    // Each side goes first every other batch, so that neither always follows the other's fsync.
    auto withTree = [&] {  // exactly the write path's appender and a synced write
      auto start = Clock::now();
      rocksdb::WriteBatch batch;
      auto appended = appendWith.append(batch, batchEvents, ctx);
      appendWith.finishBatch(batch);
      if (!with->write(batch, true).ok) std::abort();
      appendWith.commitBatch();
      cost.withSeconds += secondsSince(start);
      for (const auto& a : std::get<std::vector<events::AppendedEvent>>(appended)) {
        leaves.push_back(merkle::eventLeafHash(a.hash));
      }
    };
    auto withoutTree = [&] {  // the same appender work, the batch written without the tree
      auto start = Clock::now();
      rocksdb::WriteBatch batch;
      (void)appendWithout.append(batch, batchEvents, ctx);
      appendWithout.finishBatch(batch);
      double built = secondsSince(start);
      rocksdb::WriteBatch filtered;
      WithoutMerkle filter(*without, merkleId, &filtered);
      if (!batch.Iterate(&filter).ok()) std::abort();
      start = Clock::now();
      if (!without->write(filtered, true).ok) std::abort();
      appendWithout.commitBatch();
      cost.withoutSeconds += built + secondsSince(start);
    };
    if (b % 2 == 0) {
      withTree();
      withoutTree();
    } else {
      withoutTree();
      withTree();
    }
  }
  // The tree's own CPU for the same leaves, batch by batch as the appender does it.
  merkle::TreeAppender tree;
  std::vector<merkle::Node> created;
  auto start = Clock::now();
  for (size_t i = 0; i < leaves.size(); i += perBatch) {
    rocksdb::WriteBatch scratch;
    for (size_t j = i; j < i + perBatch && j < leaves.size(); ++j) {
      created.clear();
      events::appendLeaf(tree, leaves[j], &created);
      events::putMerkleNodes(*with, scratch, created);
    }
    bench::keep(scratch);
  }
  cost.treeCpuSeconds = secondsSince(start);
  cost.withoutSeconds -= cost.treeCpuSeconds;
  return cost;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: proofs_bench DIR [leaves] [runs] [batches] [proofs]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const uint64_t leaves = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1000000;
  const int runs = argc > 3 ? std::atoi(argv[3]) : 3;
  const int batches = argc > 4 ? std::atoi(argv[4]) : 2000;
  const int proofs = argc > 5 ? std::atoi(argv[5]) : 20000;
  if (leaves < 64 || runs < 1 || batches < 1 || proofs < 1) return 2;
  fs::remove_all(dir);
  fs::create_directories(dir);

  {
    auto store = openStore(dir + "/tree");
    auto start = Clock::now();
    buildTree(*store, leaves);
    std::fprintf(stderr, "proofs_bench: tree of %llu leaves stored in %.1f s\n",
                 static_cast<unsigned long long>(leaves), secondsSince(start));
    std::vector<double> inc, con, raw, ratio;
    double hashes = 0;
    for (int r = 0; r < runs; ++r) {
      auto rates = measureProofs(*store, leaves, proofs, 100 + r);
      inc.push_back(rates.inclusion);
      con.push_back(rates.consistency);
      raw.push_back(rates.rawGets);
      ratio.push_back((rates.inclusion + rates.consistency) / 2 / rates.rawGets);
      hashes = rates.hashesPerProof;
    }
    std::printf("bench=proof_gen leaves=%llu inclusion_proofs_s=%.0f consistency_proofs_s=%.0f "
                "raw_gets_proofs_s=%.0f hashes_per_proof=%.1f ratio_median=%.2f ratio_min=%.2f "
                "ratio_max=%.2f\n",
                static_cast<unsigned long long>(leaves), bench::median(inc), bench::median(con),
                bench::median(raw), hashes, bench::median(ratio),
                *std::min_element(ratio.begin(), ratio.end()),
                *std::max_element(ratio.begin(), ratio.end()));

    // Sizes: the proofs of the last leaf and from half the tree, as the routes answer them.
    events::StoreNodeSource nodes(*store);
    auto inclusion = merkle::inclusionProof(nodes, leaves / 3, leaves);
    auto consistency = merkle::consistencyProof(nodes, leaves / 3, leaves);
    std::printf("bench=proof_size leaves=%llu inclusion_hashes=%zu inclusion_json_bytes=%zu "
                "consistency_hashes=%zu consistency_json_bytes=%zu\n",
                static_cast<unsigned long long>(leaves), inclusion.size(),
                events::inclusionProofJson(leaves / 3, leaves, inclusion).size(),
                consistency.size(),
                events::consistencyProofJson(leaves / 3, leaves, consistency).size());
  }
  fs::remove_all(dir + "/tree");

  for (size_t perBatch : {size_t{1}, size_t{32}}) {
    std::vector<double> slowdown, cpuShare;
    double withRate = 0, withoutRate = 0;
    const int n = perBatch == 1 ? batches : std::max(1, batches / 4);
    for (int r = 0; r < runs; ++r) {
      auto cost = measureTreeCost(dir + "/commit", perBatch, n, 200 + r);
      slowdown.push_back((cost.withSeconds / cost.withoutSeconds - 1) * 100);
      cpuShare.push_back(cost.treeCpuSeconds / cost.withSeconds * 100);
      withRate = n / cost.withSeconds;
      withoutRate = n / cost.withoutSeconds;
    }
    std::printf("bench=tree_cost events_per_batch=%zu batches=%d with_batches_s=%.0f "
                "without_batches_s=%.0f slowdown_pct_median=%.1f slowdown_pct_min=%.1f "
                "slowdown_pct_max=%.1f tree_cpu_pct=%.2f\n",
                perBatch, n, withRate, withoutRate, bench::median(slowdown),
                *std::min_element(slowdown.begin(), slowdown.end()),
                *std::max_element(slowdown.begin(), slowdown.end()), bench::median(cpuShare));
  }
  fs::remove_all(dir);
  return 0;
}
