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

// Every tree head from the stored nodes equals the head of the tree rebuilt from the events.
void requireTreeMatchesLog(const ev::Store& store) {
  merkle::MemoryTree rebuilt;
  ev::StoreNodeSource stored(store);
  ev::forEachEvent(store, 1, 0, [&](uint64_t seq, std::string_view bytes) {
    std::string error;
    auto event = ev::DecodedEvent::decode(bytes, &error);
    REQUIRE(event);
    rebuilt.append(merkle::eventLeafHash(event->hash()));
    REQUIRE(rebuilt.size() == seq);  // leaf seq-1 is the event of seq
    REQUIRE(merkle::treeHead(stored, seq) == rebuilt.root());
    return true;
  });
  REQUIRE(rebuilt.size() == store.lastSeq());
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
  runCommands(dir.path(), 9);
  {
    auto store = openStore(dir.path());
    auto* family = store->family(ev::keys::Family::merkle);
    REQUIRE(store->db().DeleteRange(rocksdb::WriteOptions(), family, std::string(1, '\0'),
                                    std::string(9, '\xff')).ok());
    REQUIRE_THROWS_AS(ev::StoreNodeSource(*store).node(0, 0), ev::StoreError);
  }
  runCommands(dir.path(), 3);  // opens (builds the tree), then appends on top of it
  auto store = openStore(dir.path());
  requireTreeMatchesLog(*store);
}
