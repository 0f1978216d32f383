// The hash chain and the views' rebuild: after real appends, altering any byte of any stored
// event, or deleting an event, is found by replay() at exactly that sequence; compareViews()
// names a tampered view. And optimistic concurrency in the LogAppender.
#include <catch2/catch.hpp>

#include <rocksdb/db.h>

#include "core_support.h"
#include "support/temp_dir.h"

using namespace pitlog;
using namespace pitlog::coretest;
using commands::ExpireMode;
using pitlog::testing::TempDir;
using Family = ev::keys::Family;

namespace {

const std::string kAcct = "acct-1";

// A small but varied log: every event type, two accounts, the scheduler's event. Returns the
// ids of the integrations.
std::vector<std::string> writeHistory(const std::string& dir) {
  FakeClock clock;
  auto engine = commands::Engine::open(engineOptions(dir, clock, 10'000));
  auto run = [&](const std::string& account, commands::Action a) {
    auto r = engine->execute(command(account, adminActor(account), std::move(a)));
    REQUIRE(r.ok());
    clock.advance(1000);
    return r;
  };
  auto a = run(kAcct, createAction("Billing", {"contacts.readonly"})).integration->id;
  auto b = run("acct-2", createAction("Other", {"calendars.readonly"})).integration->id;
  commands::EditIntegration edit;
  edit.integrationId = a;
  edit.description = "CRM sync";
  run(kAcct, edit);
  run(kAcct, commands::RotateToken{a, ExpireMode::later});
  run(kAcct, commands::SetPermission{"bob", true});
  run("acct-2", commands::RotateToken{b, ExpireMode::now});
  clock.advance(10'000);
  REQUIRE(engine->scheduleDueExpiries() == 1);
  run(kAcct, commands::RotateToken{a, ExpireMode::later});
  run(kAcct, commands::CancelRotation{a});
  run("acct-2", commands::DeleteIntegration{b});
  REQUIRE(engine->lastSeq() == 11);
  return {a, b};
}

std::unique_ptr<ev::Store> openStore(const std::string& dir) {
  ev::Store::Options o;
  o.path = dir;
  return ev::Store::open(o);
}

void put(ev::Store& store, Family f, std::string_view key, std::string_view value) {
  auto s = store.db().Put(rocksdb::WriteOptions(), store.family(f),
                          rocksdb::Slice(key.data(), key.size()),
                          rocksdb::Slice(value.data(), value.size()));
  REQUIRE(s.ok());
}

void erase(ev::Store& store, Family f, std::string_view key) {
  auto s = store.db().Delete(rocksdb::WriteOptions(), store.family(f),
                             rocksdb::Slice(key.data(), key.size()));
  REQUIRE(s.ok());
}

proj::ReplayReport replayAll(const ev::Store& store) {
  proj::MemoryViewStore views;
  return proj::replay(store, views);
}

}  // namespace

TEST_CASE("chain: an untouched log replays and its views equal the rebuild", "[chain]") {
  TempDir dir("pitlog-core-chain");
  writeHistory(dir.sub("data"));
  auto store = openStore(dir.sub("data"));
  proj::MemoryViewStore views;
  auto report = proj::replay(*store, views);
  CHECK(report.ok());
  CHECK(report.eventsApplied == 11);
  CHECK(report.position.lastSeq == 11);
  CHECK((report.position.head == store->chainHead()));
  CHECK_FALSE(proj::compareViews(*store, views));
  // The first event's prevHash is zeros; each later one holds its predecessor's hash.
  auto events = allEvents(*store);
  CHECK((events[0].prevHash() == ev::Digest{}));
  for (size_t i = 1; i < events.size(); ++i) CHECK((events[i].prevHash() == events[i - 1].hash()));
}

TEST_CASE("chain: altering any byte of any stored event is found at exactly that event",
          "[chain]") {
  TempDir dir("pitlog-core-chain");
  writeHistory(dir.sub("data"));
  auto store = openStore(dir.sub("data"));
  const uint64_t last = store->lastSeq();
  size_t flips = 0;
  std::vector<std::string> wrong;
  for (uint64_t seq = 1; seq <= last; ++seq) {
    const std::string original = *ev::readEvent(*store, seq);
    for (size_t i = 0; i < original.size(); ++i) {
      {
        const unsigned char mask = i % 2 ? 0x80 : 0x01;  // low and high bits alike
        std::string altered = original;
        altered[i] = static_cast<char>(altered[i] ^ mask);
        put(*store, Family::events, ev::keys::eventKey(seq), altered);
        auto report = replayAll(*store);
        ++flips;
        if (report.failedSeq != seq && wrong.size() < 20) {
          wrong.push_back("event " + std::to_string(seq) + " byte " + std::to_string(i) +
                          " mask " + std::to_string(mask) + ": reported " +
                          (report.failedSeq ? std::to_string(*report.failedSeq) : "nothing") +
                          " (" + report.failure + ")");
        }
      }
    }
    put(*store, Family::events, ev::keys::eventKey(seq), original);
  }
  INFO(flips << " single-byte alterations; first misreports:\n" << [&] {
    std::string s;
    for (const auto& w : wrong) s += "  " + w + "\n";
    return s;
  }());
  CHECK(wrong.empty());
  CHECK(flips > 11 * 50);
  CHECK(replayAll(*store).ok());
}

TEST_CASE("chain: the views of a damaged log hold only the events before the damage",
          "[chain]") {
  TempDir dir("pitlog-core-chain");
  writeHistory(dir.sub("data"));
  auto store = openStore(dir.sub("data"));
  auto bytes = *ev::readEvent(*store, 6);
  auto pos = bytes.find("acct-2");
  REQUIRE(pos != std::string::npos);
  bytes[pos] = 'X';
  put(*store, Family::events, ev::keys::eventKey(6), bytes);
  proj::MemoryViewStore views;
  auto report = proj::replay(*store, views);
  REQUIRE(report.failedSeq == 6);
  CHECK(report.eventsApplied == 5);
  CHECK(report.position.lastSeq == 5);
  // Event 6 was acct-2's first audit entry after its creation (seq 2): not in the rebuild.
  CHECK(views.family(Family::auditByAccount).count(ev::keys::auditKey("acct-2", 6)) == 0);
  CHECK(views.family(Family::auditByAccount).count(ev::keys::auditKey("acct-2", 2)) == 1);
}

TEST_CASE("chain: a deleted event is found", "[chain]") {
  TempDir dir("pitlog-core-chain");
  writeHistory(dir.sub("data"));
  auto store = openStore(dir.sub("data"));
  for (uint64_t seq : {1u, 5u, 11u}) {
    INFO("deleted event " << seq);
    const std::string original = *ev::readEvent(*store, seq);
    erase(*store, Family::events, ev::keys::eventKey(seq));
    auto report = replayAll(*store);
    CHECK(report.failedSeq == seq);
    CHECK_FALSE(report.failure.empty());
    put(*store, Family::events, ev::keys::eventKey(seq), original);
  }
  SECTION("two events swapped") {
    auto five = *ev::readEvent(*store, 5), six = *ev::readEvent(*store, 6);
    put(*store, Family::events, ev::keys::eventKey(5), six);
    put(*store, Family::events, ev::keys::eventKey(6), five);
    CHECK(replayAll(*store).failedSeq == 5);
  }
  SECTION("an event appended behind the writer's back") {
    put(*store, Family::events, ev::keys::eventKey(12), *ev::readEvent(*store, 11));
    CHECK_FALSE(replayAll(*store).ok());
  }
  SECTION("the engine refuses to open a log whose last event was altered") {
    auto bytes = *ev::readEvent(*store, 11);
    bytes[bytes.size() - 9] ^= 1;
    put(*store, Family::events, ev::keys::eventKey(11), bytes);
    store.reset();
    FakeClock clock;
    CHECK_THROWS_AS(commands::Engine::open(engineOptions(dir.sub("data"), clock)),
                    ev::StoreError);
  }
}

TEST_CASE("chain: compareViews names a tampered view", "[chain]") {
  TempDir dir("pitlog-core-chain");
  auto ids = writeHistory(dir.sub("data"));
  const std::string a = ids[0];
  auto store = openStore(dir.sub("data"));
  auto rebuild = [&] {
    proj::MemoryViewStore views;
    REQUIRE(proj::replay(*store, views).ok());
    return proj::compareViews(*store, views);
  };
  REQUIRE_FALSE(rebuild());

  SECTION("an integration's stored bytes") {
    auto view = *store->get(Family::integrations, a);
    auto pos = view.find("Billing");
    REQUIRE(pos != std::string::npos);
    view[pos] = 'b';
    put(*store, Family::integrations, a, view);
    auto diff = rebuild();
    REQUIRE(diff);
    CHECK(diff->family == Family::integrations);
    CHECK(diff->key == a);
    CHECK(diff->seq == 10);  // a's last event: the cancel
    CHECK_THAT(diff->description, Catch::Contains("differs"));
  }
  SECTION("a token entry removed") {
    std::string key;
    store->scanPrefix(Family::tokens, {}, [&](std::string_view k, std::string_view) {
      key = std::string(k);
      return false;
    });
    REQUIRE(key.size() == 32);
    erase(*store, Family::tokens, key);
    auto diff = rebuild();
    REQUIRE(diff);
    CHECK(diff->family == Family::tokens);
    CHECK(diff->key == "digest " + ev::toHex(key));
    CHECK_THAT(diff->description, Catch::Contains("not stored"));
  }
  SECTION("a stray account index entry") {
    put(*store, Family::byAccount, ev::keys::byAccountKey(kAcct, "int_forged"), "");
    auto diff = rebuild();
    REQUIRE(diff);
    CHECK(diff->family == Family::byAccount);
    CHECK(diff->key == kAcct + "\\0int_forged");
    CHECK_THAT(diff->description, Catch::Contains("absent from the rebuild"));
  }
  SECTION("a permission flipped") {
    put(*store, Family::permissions, ev::keys::permissionKey(kAcct, "bob"), std::string(1, '\0'));
    auto diff = rebuild();
    REQUIRE(diff);
    CHECK(diff->family == Family::permissions);
    CHECK(diff->key == kAcct + "\\0bob");
  }
  SECTION("an audit entry removed") {
    erase(*store, Family::auditByAccount, ev::keys::auditKey(kAcct, 5));
    auto diff = rebuild();
    REQUIRE(diff);
    CHECK(diff->family == Family::auditByAccount);
    CHECK(diff->seq == 5);
  }
  SECTION("differences in several families: the first family in order is named") {
    // Families are compared on two threads; the answer must not depend on which finishes first.
    put(*store, Family::permissions, ev::keys::permissionKey(kAcct, "bob"), std::string(1, '\0'));
    erase(*store, Family::auditByAccount, ev::keys::auditKey(kAcct, 5));
    put(*store, Family::byAccount, ev::keys::byAccountKey(kAcct, "int_forged"), "");
    for (int i = 0; i < 5; ++i) {
      auto diff = rebuild();
      REQUIRE(diff);
      CHECK(diff->family == Family::byAccount);
      CHECK(diff->key == kAcct + "\\0int_forged");
    }
  }
  SECTION("an entry stored after the rebuild's last key, and one before its first") {
    put(*store, Family::tokens, std::string(32, '\xff'), "x");
    auto diff = rebuild();
    REQUIRE(diff);
    CHECK(diff->family == Family::tokens);
    CHECK(diff->key == "digest " + std::string(64, 'f'));
    CHECK_THAT(diff->description, Catch::Contains("absent from the rebuild"));
    erase(*store, Family::tokens, std::string(32, '\xff'));
    put(*store, Family::tokens, std::string(32, '\0'), "x");
    diff = rebuild();
    REQUIRE(diff);
    CHECK(diff->key == "digest " + std::string(64, '0'));
    CHECK_THAT(diff->description, Catch::Contains("absent from the rebuild"));
  }
  SECTION("rebuildStoredViews repairs the views") {
    put(*store, Family::byAccount, ev::keys::byAccountKey(kAcct, "int_forged"), "");
    erase(*store, Family::integrations, a);
    REQUIRE(rebuild());
    auto report = proj::rebuildStoredViews(*store);
    CHECK(report.ok());
    CHECK_FALSE(rebuild());
  }
}

TEST_CASE("LogAppender: an append with a stale expected version writes nothing", "[chain]") {
  TempDir dir("pitlog-core-chain");
  auto store = openStore(dir.sub("data"));
  ev::LogAppender appender(*store);
  ev::EventContext context{adminActor(kAcct), "req", kT0};
  auto created = [](const std::string& stream) {
    return ev::NewEvent{stream, kAcct, ev::body::Created{"n", "", {"contacts.readonly"}, {}, "abcd"}};
  };
  auto edited = [](const std::string& stream) {
    return ev::NewEvent{stream, kAcct, ev::body::ScopesUpdated{"n", "", {"contacts.readonly"}}};
  };
  auto commit = [&](rocksdb::WriteBatch& batch) {
    appender.finishBatch(batch);
    REQUIRE(store->write(batch, true).ok);
    appender.commitBatch();
  };

  {
    rocksdb::WriteBatch batch;
    std::vector<ev::NewEvent> evs{created("s1")};
    auto r = appender.append(batch, evs, context, 0u);
    REQUIRE(std::holds_alternative<std::vector<ev::AppendedEvent>>(r));
    CHECK(std::get<std::vector<ev::AppendedEvent>>(r).at(0).streamVersion == 1);
    commit(batch);
  }
  CHECK(store->lastSeq() == 1);
  CHECK(appender.streamVersion("s1") == 1);

  // Stale: s1 is at 1, not 0. Nothing goes into the batch, the position stays.
  const auto before = appender.position();
  {
    rocksdb::WriteBatch batch;
    std::vector<ev::NewEvent> evs{edited("s1")};
    auto r = appender.append(batch, evs, context, 0u);
    REQUIRE(std::holds_alternative<ev::LogAppender::VersionConflict>(r));
    auto conflict = std::get<ev::LogAppender::VersionConflict>(r);
    CHECK(conflict.streamId == "s1");
    CHECK(conflict.expected == 0);
    CHECK(conflict.actual == 1);
    CHECK(batch.Count() == 0);
    CHECK(appender.position() == before);
  }
  // A command of several events: all checked before any is appended.
  {
    rocksdb::WriteBatch batch;
    std::vector<ev::NewEvent> evs{edited("s1"), edited("s1"), edited("s1")};
    auto r = appender.append(batch, evs, context, 1u);
    REQUIRE(std::holds_alternative<std::vector<ev::AppendedEvent>>(r));
    const auto& appended = std::get<std::vector<ev::AppendedEvent>>(r);
    REQUIRE(appended.size() == 3);
    CHECK(appended[0].seq == 2);
    CHECK(appended[2].seq == 4);
    CHECK(appended[2].streamVersion == 4);
    // Within the same batch the pending version counts: 1 is now stale.
    std::vector<ev::NewEvent> more{edited("s1")};
    auto again = appender.append(batch, more, context, 1u);
    REQUIRE(std::holds_alternative<ev::LogAppender::VersionConflict>(again));
    CHECK(std::get<ev::LogAppender::VersionConflict>(again).actual == 4);
    commit(batch);
  }
  CHECK(store->lastSeq() == 4);
  CHECK(ev::streamSequences(*store, "s1") == std::vector<uint64_t>{1, 2, 3, 4});

  // An aborted batch is forgotten entirely.
  {
    rocksdb::WriteBatch batch;
    std::vector<ev::NewEvent> evs{created("s2")};
    REQUIRE(std::holds_alternative<std::vector<ev::AppendedEvent>>(appender.append(batch, evs, context)));
    CHECK(appender.streamVersion("s2") == 1);
    appender.abortBatch();
    CHECK(appender.streamVersion("s2") == 0);
    CHECK(appender.position().lastSeq == 4);
  }
  CHECK(store->lastSeq() == 4);
  CHECK(ev::streamSequences(*store, "s2").empty());
  proj::MemoryViewStore views;
  CHECK(proj::replay(*store, views).ok());
}
