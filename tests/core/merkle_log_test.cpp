// The log's Merkle tree as the write path keeps it (events/merkle_store.h): after real commands
// the stored nodes give, for every tree size, the head a rebuild from the log's events gives; a
// database without the nodes gets them built when pitd opens it; and appending resumes the tree.
#include <catch2/catch.hpp>

#include <rocksdb/db.h>

#include "core_support.h"
#include "events/log.h"
#include "events/merkle_store.h"
#include "support/temp_dir.h"

using namespace pitlog;
using namespace pitlog::coretest;
using pitlog::testing::TempDir;
namespace merkle = ev::merkle;

namespace {

void runCommands(const std::string& dir, int count) {
  FakeClock clock;
  auto engine = commands::Engine::open(engineOptions(dir, clock, 10'000));
  for (int i = 0; i < count; ++i) {
    auto r = engine->execute(command("acct-1", adminActor("acct-1"),
                                     createAction("App " + std::to_string(i), {"contacts.readonly"})));
    REQUIRE(r.ok());
    clock.advance(1000);
  }
}

std::unique_ptr<ev::Store> openStore(const std::string& dir) {
  ev::Store::Options o;
  o.path = dir;
  return ev::Store::open(o);
}

// The tree of the store's events, built in memory (leaf seq-1 is the event of seq).
merkle::MemoryTree treeOfEvents(const ev::Store& store) {
  merkle::MemoryTree tree;
  ev::forEachEvent(store, 1, 0, [&](uint64_t seq, std::string_view bytes) {
    std::string error;
    auto event = ev::DecodedEvent::decode(bytes, &error);
    REQUIRE(event);
    REQUIRE(seq == tree.size() + 1);
    tree.append(merkle::eventLeafHash(event->hash()));
    return true;
  });
  return tree;
}

// Every key of the merkle family, as (level, index).
std::vector<std::pair<uint32_t, uint64_t>> storedNodes(const ev::Store& store) {
  std::vector<std::pair<uint32_t, uint64_t>> out;
  store.scanPrefix(ev::keys::Family::merkle, {}, [&](std::string_view key, std::string_view) {
    out.emplace_back(static_cast<unsigned char>(key[0]), ev::keys::readFixed64(key.substr(1)).value());
    return true;
  });
  return out;
}

// Every tree head from the stored nodes equals the head of the tree rebuilt from the events.
void requireTreeMatchesLog(const ev::Store& store) {
  const auto rebuilt = treeOfEvents(store);
  REQUIRE(rebuilt.size() == store.lastSeq());
  ev::StoreNodeSource stored(store);
  for (uint64_t size = 1; size <= rebuilt.size(); ++size) {
    REQUIRE(merkle::treeHead(stored, size) == merkle::treeHead(rebuilt, size));
  }
}

}  // namespace

TEST_CASE("the write path stores the Merkle tree of the log, leaf n-1 being event n",
          "[merkle][log]") {
  TempDir dir;
  runCommands(dir.path(), 37);
  auto store = openStore(dir.path());
  REQUIRE(store->lastSeq() >= 37);
  requireTreeMatchesLog(*store);
}

TEST_CASE("an engine reopened on a log continues its Merkle tree", "[merkle][log]") {
  TempDir dir;
  runCommands(dir.path(), 5);
  runCommands(dir.path(), 6);
  auto store = openStore(dir.path());
  requireTreeMatchesLog(*store);
}

TEST_CASE("a database without Merkle nodes gets them built from the log at open", "[merkle][log]") {
  TempDir dir;
  runCommands(dir.path(), 40);
  {
    auto store = openStore(dir.path());
    auto* family = store->family(ev::keys::Family::merkle);
    REQUIRE(store->db().DeleteRange(rocksdb::WriteOptions(), family, std::string(1, '\0'),
                                    std::string(9, '\xff')).ok());
    REQUIRE_THROWS_AS(ev::StoreNodeSource(*store).node(4, 1), ev::StoreError);
  }
  runCommands(dir.path(), 3);  // opens (builds the tree), then appends on top of it
  auto store = openStore(dir.path());
  requireTreeMatchesLog(*store);
}

TEST_CASE("the merkle family stores exactly the nodes of level 4 and up, the lower ones are "
          "computed from the events",
          "[merkle][log]") {
  TempDir dir;
  runCommands(dir.path(), 53);
  auto store = openStore(dir.path());
  const uint64_t n = store->lastSeq();
  REQUIRE(n >= 53);
  const auto tree = treeOfEvents(*store);
  std::vector<std::pair<uint32_t, uint64_t>> expected;
  for (uint32_t level = ev::kFirstStoredLevel; (n >> level) > 0; ++level) {
    for (uint64_t index = 0; index < (n >> level); ++index) expected.emplace_back(level, index);
  }
  CHECK(storedNodes(*store) == expected);
  ev::StoreNodeSource source(*store);
  for (uint32_t level = 0; (n >> level) > 0; ++level) {
    for (uint64_t index = 0; index < (n >> level); ++index) {
      INFO("node " << level << "/" << index);
      REQUIRE(source.node(level, index) == tree.node(level, index));
    }
  }
}

TEST_CASE("a merkle family with every level, as earlier builds stored it, keeps only levels 4 and "
          "up once pitd opens it",
          "[merkle][log]") {
  TempDir dir;
  runCommands(dir.path(), 20);
  {
    auto store = openStore(dir.path());
    const auto tree = treeOfEvents(*store);
    rocksdb::WriteBatch batch;
    std::vector<merkle::Node> every;
    for (uint32_t level = 0; level < ev::kFirstStoredLevel; ++level) {
      for (uint64_t index = 0; index < (tree.size() >> level); ++index) {
        every.push_back({level, index, tree.node(level, index)});
      }
    }
    ev::putMerkleNodes(*store, batch, every);
    REQUIRE(store->write(batch, true).ok);
    REQUIRE(storedNodes(*store).front().first == 0);
  }
  runCommands(dir.path(), 1);
  auto store = openStore(dir.path());
  for (const auto& [level, index] : storedNodes(*store)) CHECK(level >= ev::kFirstStoredLevel);
  requireTreeMatchesLog(*store);
}

TEST_CASE("a node computed from the events names the missing event it needs", "[merkle][log]") {
  TempDir dir;
  runCommands(dir.path(), 20);
  auto store = openStore(dir.path());
  const auto whole = treeOfEvents(*store);
  REQUIRE(store->db()
              .Delete(rocksdb::WriteOptions(), store->family(ev::keys::Family::events),
                      ev::keys::eventKey(3))
              .ok());
  ev::StoreNodeSource source(*store);
  CHECK_THROWS_WITH(source.node(1, 1), Catch::Contains("needs event 3, which is missing"));
  CHECK_THROWS_WITH(source.node(0, 2), Catch::Contains("needs event 3, which is missing"));
  CHECK(source.node(0, 1) == whole.node(0, 1));  // events 1 and 2 are there
}

TEST_CASE("an altered event fails its inclusion proof against the root from before", "[merkle][log]") {
  TempDir dir;
  runCommands(dir.path(), 40);
  auto store = openStore(dir.path());
  const uint64_t n = store->lastSeq();
  const auto before = merkle::treeHead(ev::StoreNodeSource(*store), n);
  auto bytes = ev::readEvent(*store, 5);
  REQUIRE(bytes);
  const auto at = bytes->find("App 4");
  REQUIRE(at != std::string::npos);
  (*bytes)[at + 4] = '9';
  REQUIRE(store->db()
              .Put(rocksdb::WriteOptions(), store->family(ev::keys::Family::events),
                   ev::keys::eventKey(5), *bytes)
              .ok());
  std::string error;
  auto altered = ev::DecodedEvent::decode(*bytes, &error);
  REQUIRE(altered);
  // The proof the store now gives for leaf 4, checked with the altered event's leaf.
  const auto proof = merkle::inclusionProof(ev::StoreNodeSource(*store), 4, n);
  CHECK_FALSE(merkle::verifyInclusion(4, n, merkle::eventLeafHash(altered->hash()), proof, before));
  // Its neighbours' proofs now carry the altered leaf (computed), so they fail too.
  const auto neighbour = ev::readEvent(*store, 6);
  auto six = ev::DecodedEvent::decode(*neighbour, &error);
  REQUIRE(six);
  CHECK_FALSE(merkle::verifyInclusion(5, n, merkle::eventLeafHash(six->hash()),
                                      merkle::inclusionProof(ev::StoreNodeSource(*store), 5, n),
                                      before));
  // An event of another block keeps its proof: nothing it depends on changed.
  auto far = ev::DecodedEvent::decode(*ev::readEvent(*store, 30), &error);
  REQUIRE(far);
  CHECK(merkle::verifyInclusion(29, n, merkle::eventLeafHash(far->hash()),
                                merkle::inclusionProof(ev::StoreNodeSource(*store), 29, n), before));
}

TEST_CASE("one node source keeps answering while the log grows past the block it read",
          "[merkle][log]") {
  TempDir dir;
  FakeClock clock;
  auto engine = commands::Engine::open(engineOptions(dir.path(), clock, 10'000));
  auto create = [&](int count) {
    for (int i = 0; i < count; ++i) {
      REQUIRE(engine->execute(command("acct-1", adminActor("acct-1"),
                                      createAction("App " + std::to_string(i), {"contacts.readonly"})))
                  .ok());
    }
  };
  create(20);
  const ev::StoreNodeSource source(engine->store());
  const uint64_t before = engine->store().lastSeq();
  const auto headBefore = merkle::treeHead(source, before);  // reads the partial block 16..
  create(7);
  const auto rebuilt = treeOfEvents(engine->store());
  CHECK(headBefore == merkle::treeHead(rebuilt, before));
  for (uint64_t size = before; size <= rebuilt.size(); ++size) {
    CHECK(merkle::treeHead(source, size) == merkle::treeHead(rebuilt, size));
  }
}
