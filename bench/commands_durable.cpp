// commands-durable: durable creates through the Engine (validation, decision, events, views,
// one synced WriteBatch per group) vs raw RocksDB WriteBatches of the same size with sync=true,
// at the same client counts, in the same process and on the same disk.
//   commands_durable DIR [seconds=3] [threads=1,8,32]
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "bench/bench_util.h"
#include "commands/engine.h"

using namespace pitlog;
namespace fs = std::filesystem;

namespace {

struct Point {
  double opsPerSec = 0, p50ms = 0, p99ms = 0, meanBatch = 0;
  double meanWriteMs = 0;  // the engine's synced write per batch (WAL append, fsync, memtables)
};

Point runEngine(const std::string& dir, int threads, double seconds) {
  fs::remove_all(dir);
  fs::create_directories(fs::path(dir).parent_path());
  std::atomic<uint64_t> batches{0}, batchedCommands{0}, writeMicros{0};
  commands::EngineOptions o;
  o.dataDir = dir;
  // PITLOG_BENCH_NOSYNC=1 measures the writer's CPU cost alone (not a durable configuration).
  o.sync = std::getenv("PITLOG_BENCH_NOSYNC") == nullptr;
  o.onBatch = [&](const commands::BatchStats& s) {
    batches++;
    batchedCommands += s.commands;
    writeMicros += s.writeMicros;
  };
  auto engine = commands::Engine::open(o);
  std::mutex mu;
  std::vector<double> latencies;
  std::atomic<uint64_t> done{0}, failed{0};
  auto deadline = bench::Clock::now() + std::chrono::duration<double>(seconds);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      std::vector<double> mine;
      for (int i = 0; bench::Clock::now() < deadline; ++i) {
        commands::Command c;
        c.accountId = "acct-" + std::to_string(t % 16);
        c.actor = {c.accountId, "admin", events::Role::admin};
        c.action = commands::CreateIntegration{"app " + std::to_string(i), "bench",
                                               {"contacts.readonly", "contacts.write"}};
        auto start = bench::Clock::now();
        auto r = engine->execute(std::move(c));
        mine.push_back(bench::secondsSince(start) * 1000);
        (r.ok() ? done : failed)++;
      }
      std::lock_guard lock(mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  }
  auto start = bench::Clock::now();
  for (auto& th : pool) th.join();
  double elapsed = bench::secondsSince(start);
  if (failed) std::fprintf(stderr, "engine: %llu commands failed\n", (unsigned long long)failed.load());
  return {done / elapsed, bench::percentile(latencies, 0.5), bench::percentile(latencies, 0.99),
          batches ? double(batchedCommands) / batches : 0,
          batches ? double(writeMicros) / 1000 / batches : 0};
}

Point runRaw(const std::string& dir, int threads, double seconds) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::Open(options, dir, &raw).ok()) std::abort();
  std::unique_ptr<rocksdb::DB> db(raw);
  // The same shape as one create: event (~420 B), stream index, integration view (~360 B),
  // account index, token entry (~180 B), audit index, two meta values.
  const std::string event(420, 'e'), view(360, 'v'), token(180, 't');
  std::mutex mu;
  std::vector<double> latencies;
  std::atomic<uint64_t> done{0}, seq{0};
  auto deadline = bench::Clock::now() + std::chrono::duration<double>(seconds);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      std::vector<double> mine;
      rocksdb::WriteOptions wo;
      wo.sync = true;
      while (bench::Clock::now() < deadline) {
        uint64_t n = ++seq;
        std::string k = std::to_string(n);
        rocksdb::WriteBatch b;
        b.Put("e" + k, event);
        b.Put("s" + k, "12345678");
        b.Put("i" + k, view);
        b.Put("a" + k, "");
        b.Put("t" + k, token);
        b.Put("u" + k, "");
        b.Put("mlast", k);
        b.Put("mhead", std::string(32, 'h'));
        auto start = bench::Clock::now();
        if (!db->Write(wo, &b).ok()) std::abort();
        mine.push_back(bench::secondsSince(start) * 1000);
        done++;
      }
      std::lock_guard lock(mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  }
  auto start = bench::Clock::now();
  for (auto& th : pool) th.join();
  double elapsed = bench::secondsSince(start);
  return {done / elapsed, bench::percentile(latencies, 0.5), bench::percentile(latencies, 0.99), 1};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: commands_durable DIR [seconds=3] [threads=1,8,32]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const double seconds = argc > 2 ? std::atof(argv[2]) : 3.0;
  std::vector<int> threadCounts;
  std::stringstream list(argc > 3 ? argv[3] : "1,8,32");
  for (std::string item; std::getline(list, item, ',');) threadCounts.push_back(std::stoi(item));
  for (int threads : threadCounts) {
    // PITLOG_BENCH_ENGINE_ONLY=1 skips the baseline (for profiling the engine alone).
    Point raw = std::getenv("PITLOG_BENCH_ENGINE_ONLY") ? Point{1, 0, 0, 0}
                                                        : runRaw(dir + "/raw", threads, seconds);
    Point ours = runEngine(dir + "/engine", threads, seconds);
    std::printf(
        "bench=commands-durable clients=%d pitlog_cmds_s=%.0f pitlog_p50_ms=%.2f pitlog_p99_ms=%.2f "
        "mean_batch=%.1f write_ms=%.2f rocksdb_writes_s=%.0f rocksdb_p50_ms=%.2f rocksdb_p99_ms=%.2f ratio=%.2f\n",
        threads, ours.opsPerSec, ours.p50ms, ours.p99ms, ours.meanBatch, ours.meanWriteMs, raw.opsPerSec, raw.p50ms,
        raw.p99ms, ours.opsPerSec / raw.opsPerSec);
    std::fflush(stdout);
  }
  fs::remove_all(dir);
  return 0;
}
