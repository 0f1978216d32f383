// RocksDB's memory stays within the store's budget (events::Store::Options::memoryBudgetBytes):
// without one, each family's memtable grows to 64 MiB before it is flushed, and a long-running
// pitd's RSS grew with every command written (the soak campaign's failure of 2026-12-05).

#include <catch2/catch.hpp>

#include <rocksdb/write_batch.h>

#include <string>

#include "events/keys.h"
#include "events/store.h"
#include "support/temp_dir.h"

namespace ev = pitlog::events;
using pitlog::events::keys::Family;
using pitlog::testing::TempDir;

namespace {

constexpr size_t kBudget = 8 << 20;

std::unique_ptr<ev::Store> openWithBudget(const std::string& dir) {
  ev::Store::Options o;
  o.path = dir;
  o.memoryBudgetBytes = kBudget;
  return ev::Store::open(o);
}

std::string keyOf(int i) {
  std::string key = "k" + std::to_string(i);
  return std::string(12 - key.size(), '0') + key;
}

}  // namespace

TEST_CASE("store: 48 MiB written over four families leave the memtables within the budget, and every value readable") {
  TempDir dir("pitlog-core-store-memory");
  auto store = openWithBudget(dir.str());
  REQUIRE(store->memoryUsage().budget == kBudget);

  const Family families[] = {Family::events, Family::tokens, Family::idempotency,
                             Family::auditByAccount};
  const std::string value(4096, 'v');
  uint64_t largestMemtables = 0;
  for (int i = 0; i < 12'288; ++i) {
    rocksdb::WriteBatch batch;
    const std::string key = keyOf(i);
    REQUIRE(batch.Put(store->family(families[i % 4]), key, value).ok());
    REQUIRE(store->write(batch, /*sync=*/false).ok);
    if (i % 256 == 0) largestMemtables = std::max(largestMemtables, store->memoryUsage().memtables);
  }
  const auto usage = store->memoryUsage();
  largestMemtables = std::max(largestMemtables, usage.memtables);
  INFO("largest memtables seen " << largestMemtables << " B, cache " << usage.cache << " B");
  // Flushes run in the background: the memtables may pass half the budget for a moment, never
  // the whole of it (without the manager they held all 48 MiB).
  CHECK(largestMemtables <= kBudget);
  CHECK(usage.cache <= kBudget + (1 << 20));
  for (int i : {0, 1, 4097, 12'287}) {
    CHECK(store->get(families[i % 4], keyOf(i)) == value);
  }
}
