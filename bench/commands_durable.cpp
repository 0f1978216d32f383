// commands-durable: durable creates through the Engine (validation, decision, events, views,
// one synced WriteBatch per group) vs raw RocksDB WriteBatches of the same size with sync=true,
// at the same client counts, in the same process and on the same disk, in alternating rounds.
//   commands_durable DIR [seconds=3] [threads=1,8,32]   (PITLOG_BENCH_ROUNDS: rounds, default 3)
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <optional>
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

// What a side measured over its rounds.
struct Tally {
  uint64_t done = 0;
  double seconds = 0;
  std::vector<double> latencies;  // ms
  Point point(double meanBatch = 1, double meanWriteMs = 0) const {
    return {seconds > 0 ? done / seconds : 0, bench::percentile(latencies, 0.5),
            bench::percentile(latencies, 0.99), meanBatch, meanWriteMs};
  }
};

// Runs `op(thread index, iteration)` on `threads` threads for `seconds`; true results count.
template <typename Op>
void runRound(int threads, double seconds, Tally& tally, Op op) {
  std::mutex mu;
  std::atomic<uint64_t> done{0};
  auto deadline = bench::Clock::now() + std::chrono::duration<double>(seconds);
  std::vector<std::thread> pool;
  auto start = bench::Clock::now();
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      std::vector<double> mine;
      for (int i = 0; bench::Clock::now() < deadline; ++i) {
        auto begin = bench::Clock::now();
        const bool ok = op(t, i);
        mine.push_back(bench::secondsSince(begin) * 1000);
        if (ok) done++;
      }
      std::lock_guard lock(mu);
      tally.latencies.insert(tally.latencies.end(), mine.begin(), mine.end());
    });
  }
  for (auto& th : pool) th.join();
  tally.seconds += bench::secondsSince(start);
  tally.done += done;
}

// Durable creates through the Engine.
class EngineSide {
 public:
  explicit EngineSide(const std::string& dir) {
    fs::remove_all(dir);
    fs::create_directories(fs::path(dir).parent_path());
    commands::EngineOptions o;
    o.dataDir = dir;
    // PITLOG_BENCH_NOSYNC=1 measures the writer's CPU cost alone (not a durable configuration).
    o.sync = std::getenv("PITLOG_BENCH_NOSYNC") == nullptr;
    // PITLOG_BENCH_STORAGE_MEMORY_MIB=N runs the engine with pitd's --storage-memory N.
    if (const char* mib = std::getenv("PITLOG_BENCH_STORAGE_MEMORY_MIB")) {
      o.storageMemoryBytes = static_cast<size_t>(std::atoi(mib)) << 20;
    }
    o.onBatch = [this](const commands::BatchStats& s) {
      batches_++;
      batchedCommands_ += s.commands;
      writeMicros_ += s.writeMicros;
    };
    engine_ = commands::Engine::open(o);
  }
  void round(int threads, double seconds) {
    runRound(threads, seconds, tally_, [&](int t, int i) {
      commands::Command c;
      c.accountId = "acct-" + std::to_string(t % 16);
      c.actor = {c.accountId, "admin", events::Role::admin};
      c.action = commands::CreateIntegration{"app " + std::to_string(round_) + "-" +
                                                 std::to_string(i),
                                             "bench", {"contacts.readonly", "contacts.write"}};
      auto r = engine_->execute(std::move(c));
      if (!r.ok()) failed_++;
      return r.ok();
    });
    round_++;
  }
  Point point() const {
    if (failed_) std::fprintf(stderr, "engine: %llu commands failed\n", (unsigned long long)failed_.load());
    return tally_.point(batches_ ? double(batchedCommands_) / batches_ : 0,
                        batches_ ? double(writeMicros_) / 1000 / batches_ : 0);
  }

 private:
  std::atomic<uint64_t> batches_{0}, batchedCommands_{0}, writeMicros_{0}, failed_{0};
  std::unique_ptr<commands::Engine> engine_;
  Tally tally_;
  int round_ = 0;
};

// Raw RocksDB WriteBatches of the same shape, sync=true, one per writer thread.
class RawSide {
 public:
  explicit RawSide(const std::string& dir) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    if (!rocksdb::DB::Open(options, dir, &raw).ok()) std::abort();
    db_.reset(raw);
  }
  void round(int threads, double seconds) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    runRound(threads, seconds, tally_, [&](int, int) {
      // The same shape as one create: event (~420 B), stream index, integration view (~360 B),
      // account index, token entry (~180 B), audit index, two meta values.
      uint64_t n = ++seq_;
      std::string k = std::to_string(n);
      rocksdb::WriteBatch b;
      b.Put("e" + k, event_);
      b.Put("s" + k, "12345678");
      b.Put("i" + k, view_);
      b.Put("a" + k, "");
      b.Put("t" + k, token_);
      b.Put("u" + k, "");
      b.Put("mlast", k);
      b.Put("mhead", std::string(32, 'h'));
      if (!db_->Write(wo, &b).ok()) std::abort();
      return true;
    });
  }
  Point point() const { return tally_.point(); }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  const std::string event_ = std::string(420, 'e'), view_ = std::string(360, 'v'),
                    token_ = std::string(180, 't');
  std::atomic<uint64_t> seq_{0};
  Tally tally_;
};

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
  // The two sides alternate in rounds (of seconds / rounds each), so that the disk's slow drifts
  // (other tenants' I/O) weigh on both alike and the ratio compares like with like.
  const int rounds = std::getenv("PITLOG_BENCH_ROUNDS") ? std::atoi(std::getenv("PITLOG_BENCH_ROUNDS")) : 3;
  // PITLOG_BENCH_ENGINE_ONLY=1 skips the baseline (for profiling the engine alone).
  const bool engineOnly = std::getenv("PITLOG_BENCH_ENGINE_ONLY") != nullptr;
  for (int threads : threadCounts) {
    Point raw{1, 0, 0, 0};
    Point ours;
    {
      std::optional<RawSide> rawSide;
      if (!engineOnly) rawSide.emplace(dir + "/raw");
      EngineSide engineSide(dir + "/engine");
      for (int r = 0; r < rounds; ++r) {
        if (rawSide) rawSide->round(threads, seconds / rounds);
        engineSide.round(threads, seconds / rounds);
      }
      if (rawSide) raw = rawSide->point();
      ours = engineSide.point();
    }
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
