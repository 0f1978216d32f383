// Tokens' last use (API.md "Token hygiene"; commands/last_use_table.h): recorded by active
// verifications only, written to the last_use family by a flush at most every lastUseFlushMs
// (not per verification: the flushes are counted), kept across a restart, never in the log, and
// deleted from storage once its token is no longer valid.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "commands/last_use_table.h"
#include "core_support.h"
#include "support/temp_dir.h"

using namespace pitlog;
using namespace pitlog::coretest;
using commands::ExpireMode;
using commands::LastUseTable;
using pitlog::testing::TempDir;

namespace {

ev::Digest digestOf(int i) { return ev::sha256("token-" + std::to_string(i)); }

struct Fixture {
  TempDir dir{"pitlog-core-last-use"};
  FakeClock clock;
  std::unique_ptr<commands::Engine> engine;
  int64_t flushMs;

  explicit Fixture(int64_t flushMs) : flushMs(flushMs) { open(); }
  void open() {
    auto o = engineOptions(dir.sub("data"), clock);
    o.lastUseFlushMs = flushMs;
    o.storageRetryMs = 20;  // the writer looks at the flush's due time at least this often
    engine = commands::Engine::open(o);
  }
  void reopen() {
    engine.reset();  // a clean stop flushes
    open();
  }
  std::pair<std::string, std::string> create() {
    auto r = engine->execute(command("acct-1", adminActor("acct-1"), createAction()));
    REQUIRE(r.ok());
    return {r.integration->id, *r.token};
  }
  std::optional<ev::UnixMillis> stored(const std::string& token) const {
    auto v = engine->store().get(ev::keys::Family::lastUse, ev::keys::lastUseKey(ev::sha256(token)));
    if (!v) return std::nullopt;
    return static_cast<ev::UnixMillis>(*ev::keys::readFixed64(*v));
  }
  // Waits (up to 10 s) for the flush counter to pass `n`.
  bool waitForFlushes(uint64_t n) const {
    for (int i = 0; i < 1000 && engine->lastUseFlushes() < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return engine->lastUseFlushes() >= n;
  }
};

}  // namespace

TEST_CASE("last-use table: another node's stored use raises a tracked token without being "
          "written back, and leaves an untracked one alone instead of forgetting it",
          "[last-use]") {
  LastUseTable table;
  table.track(digestOf(1));
  table.record(digestOf(1), 100);
  CHECK(table.mergeStored(digestOf(1), 200));
  CHECK(table.lastUsed(digestOf(1)) == 200);
  CHECK(table.mergeStored(digestOf(1), 150));  // earlier: the later time stays
  CHECK(table.lastUsed(digestOf(1)) == 200);
  CHECK_FALSE(table.mergeStored(digestOf(2), 300));  // not tracked (yet) here
  CHECK_FALSE(table.lastUsed(digestOf(2)));
  const auto changes = table.takeChanges();
  CHECK(changes.used.empty());       // the store holds 200 already
  CHECK(changes.forgotten.empty());  // the other node's value is not deleted
}

TEST_CASE("last-use table: record keeps the latest time, ignores untracked tokens, and reports "
          "each change once",
          "[last-use]") {
  LastUseTable table;
  table.track(digestOf(1));
  table.track(digestOf(2));
  table.record(digestOf(1), 100);
  table.record(digestOf(1), 50);   // older: ignored
  table.record(digestOf(3), 100);  // not tracked: ignored
  CHECK(table.lastUsed(digestOf(1)) == 100);
  CHECK_FALSE(table.lastUsed(digestOf(2)));
  CHECK_FALSE(table.lastUsed(digestOf(3)));
  auto changes = table.takeChanges();
  REQUIRE(changes.used.size() == 1);
  CHECK(changes.used[0].at == 100);
  CHECK(table.takeChanges().used.empty());  // nothing new since
  table.record(digestOf(1), 150);
  CHECK(table.takeChanges().used.size() == 1);
  table.forget(digestOf(1));
  auto forgotten = table.takeChanges();
  CHECK(forgotten.used.empty());
  CHECK(forgotten.forgotten.size() == 1);
}

TEST_CASE("last-use table: tracking what was reserved at load builds no retired tables") {
  LastUseTable table;
  table.reserve(50'000);
  const size_t held = table.tablesHeld();
  for (int i = 0; i < 50'000; ++i) table.track(digestOf(i));
  CHECK(table.tablesHeld() == held);  // without reserve(): a dozen resizes, each table kept
  CHECK(table.tracked() == 50'000);
  table.record(digestOf(49'999), 7);
  CHECK(table.lastUsed(digestOf(49'999)) == 7);
  CHECK_FALSE(table.lastUsed(digestOf(50'000)));
  table.reserve(10);  // room enough already: nothing changes
  CHECK(table.tablesHeld() == held);
}

TEST_CASE("last-use table: values survive resizes, including uses recorded concurrently",
          "[last-use]") {
  LastUseTable table;
  table.track(digestOf(0));
  std::atomic<bool> stop{false};
  std::atomic<ev::UnixMillis> last{0};
  std::thread reader([&] {
    for (ev::UnixMillis t = 1; !stop; ++t) {
      table.record(digestOf(0), t);
      last.store(t);
    }
  });
  // The resizes start once the reader records: on a busy machine its thread may otherwise not run
  // before they are over, and the test would prove nothing about concurrent uses.
  while (last.load() == 0) std::this_thread::yield();
  for (int i = 1; i < 20'000; ++i) table.track(digestOf(i));  // many resizes under the reader
  stop = true;
  reader.join();
  size_t used = 1;
  for (int i = 1; i < 20'000; i += 997, ++used) table.record(digestOf(i), 1'000'000 + i);
  CHECK(table.tracked() == 20'000);
  auto changes = table.takeChanges();
  // Token 0's latest use is kept whichever table it landed in.
  CHECK(table.lastUsed(digestOf(0)) == last.load());
  for (int i = 1; i < 20'000; i += 997) CHECK(table.lastUsed(digestOf(i)) == 1'000'000 + i);
  CHECK(changes.used.size() == used);
}

TEST_CASE("last use: recorded by active verifications within the flush interval, never in the "
          "log, and not written per verification",
          "[last-use]") {
  Fixture f(/*flushMs=*/200);
  auto [id, token] = f.create();
  CHECK_FALSE(f.engine->lastUsed(ev::sha256(token)));
  const uint64_t seq = f.engine->lastSeq();
  const uint64_t flushes = f.engine->lastUseFlushes();

  f.clock.advance(1000);
  for (int i = 0; i < 1000; ++i) REQUIRE(f.engine->verify(token).active);
  const ev::UnixMillis usedAt = f.clock.now();
  CHECK(f.engine->lastUsed(ev::sha256(token)) == usedAt);
  REQUIRE(f.waitForFlushes(flushes + 1));
  CHECK(f.stored(token) == usedAt);
  // A thousand verifications, one write.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(f.engine->lastUseFlushes() == flushes + 1);
  CHECK(f.engine->lastSeq() == seq);  // nothing appended to the log
  for (const auto& e : allEvents(f.engine->store())) CHECK(typeOf(e) != "LastUsed");
  CHECK_FALSE(storeProblem(f.engine->store()));  // the views equal a rebuild
  // An inactive answer records nothing.
  CHECK_FALSE(f.engine->verify(commands::generateToken().plaintext).active);
}

TEST_CASE("last use: survives a restart (a clean stop flushes), and a revoked token's value is "
          "deleted from storage",
          "[last-use]") {
  Fixture f(/*flushMs=*/3'600'000);  // no timed flush during the test: only the stop's
  auto [id, token] = f.create();
  f.clock.advance(5000);
  REQUIRE(f.engine->verify(token).active);
  const ev::UnixMillis usedAt = f.clock.now();
  CHECK_FALSE(f.stored(token));  // not yet written
  f.reopen();
  CHECK(f.stored(token) == usedAt);
  CHECK(f.engine->lastUsed(ev::sha256(token)) == usedAt);

  // Rotated out with "now": no longer valid, so its value goes at the next flush.
  auto r = f.engine->execute(
      command("acct-1", adminActor("acct-1"), commands::RotateToken{id, ExpireMode::now}));
  REQUIRE(r.ok());
  CHECK_FALSE(f.engine->lastUsed(ev::sha256(token)));
  f.reopen();
  CHECK_FALSE(f.stored(token));
}
