// replay + startup-and-memory, on one log built here through the real Engine (N creates, and a
// rotation with `expire: later` of every tenth integration: 1.1M events for N = 1M):
//   replay:   projections::replay (hash chain verified + every view rebuilt) vs a raw RocksDB
//             scan reading every value of the events family, same database, same run.
//   startup:  time for Engine::open on N active integrations to be ready to verify, and the
//             resident memory it added per live token.
//   log_bench DIR [integrations=100000]
#include <rocksdb/db.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_util.h"
#include "commands/engine.h"
#include "projections/replay.h"

using namespace pitlog;
namespace fs = std::filesystem;

namespace {

long residentKiB() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return 0;
}

void build(const std::string& dir, size_t integrations) {
  commands::EngineOptions o;
  o.dataDir = dir;
  o.sync = false;  // building the fixture only; the durable path is commands_durable's business
  auto engine = commands::Engine::open(o);
  const int threads = 16;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (size_t i = t; i < integrations; i += threads) {
        commands::Command c;
        c.accountId = "acct-" + std::to_string(i % 5000);
        c.actor = {c.accountId, "admin", events::Role::admin};
        c.action = commands::CreateIntegration{"app " + std::to_string(i), "",
                                               {"contacts.readonly", "contacts.write"}};
        auto r = engine->execute(std::move(c));
        if (!r.ok()) std::abort();
        if (i % 10 == 0) {  // history beyond creates: a rotation (later) of every tenth
          commands::Command e;
          e.accountId = r.integration->accountId;
          e.actor = {e.accountId, "admin", events::Role::admin};
          e.action = commands::RotateToken{r.integration->id, commands::ExpireMode::later};
          if (!engine->execute(std::move(e)).ok()) std::abort();
        }
      }
    });
  }
  for (auto& th : pool) th.join();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: log_bench DIR [integrations=100000] [keep]\n"
                         "  keep: reuse DIR/log when a complete build of the same size is there,\n"
                         "        and leave it (for pit-replay's row and for profiling)\n");
    return 2;
  }
  const std::string dir = std::string(argv[1]) + "/log";
  const size_t integrations = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 100'000;
  const bool keep = argc > 3 && std::string(argv[3]) == "keep";
  // Written once the build finished: a build cut short, or of another size, is never reused.
  const std::string built = dir + ".built-" + std::to_string(integrations);
  auto start = bench::Clock::now();
  if (!keep || !fs::exists(built)) {
    fs::remove_all(dir);
    fs::remove(built);
    fs::create_directories(dir);
    build(dir, integrations);
    std::ofstream(built) << "complete\n";
    std::fprintf(stderr, "built %zu integrations in %.1f s\n", integrations,
                 bench::secondsSince(start));
  }

  // Startup and memory first, in a process whose memory holds nothing else yet.
  long rssBefore = residentKiB();
  start = bench::Clock::now();
  commands::EngineOptions o;
  o.dataDir = dir;
  auto engine = commands::Engine::open(o);
  double startupSeconds = bench::secondsSince(start);
  long rssAfter = residentKiB();
  size_t tokens = engine->tokenCount();
  uint64_t events = engine->lastSeq();
  double bytesPerToken = tokens ? (rssAfter - rssBefore) * 1024.0 / tokens : 0;
  std::printf("bench=startup integrations=%zu tokens=%zu open_s=%.3f rss_delta_mib=%.1f "
              "bytes_per_token=%.0f\n",
              integrations, tokens, startupSeconds, (rssAfter - rssBefore) / 1024.0, bytesPerToken);
  engine.reset();

  // Replay vs raw scan, alternating, three rounds each.
  events::Store::Options so;
  so.path = dir;
  so.mode = events::Store::Mode::readOnly;
  auto store = events::Store::open(so);
  std::vector<double> ours, raw, ratios;
  bool ok = true;
  for (int round = 0; round < 3; ++round) {
    start = bench::Clock::now();
    size_t bytes = 0;
    store->scanPrefix(events::keys::Family::events, {}, [&](std::string_view, std::string_view v) {
      bytes += v.size();
      return true;
    });
    bench::keep(bytes);
    double sRaw = bench::secondsSince(start);

    start = bench::Clock::now();
    projections::MemoryViewStore views;
    auto report = projections::replay(*store, views);
    double sOurs = bench::secondsSince(start);
    ok = ok && report.ok() && report.eventsApplied == events;
    ours.push_back(events / sOurs);
    raw.push_back(events / sRaw);
    ratios.push_back(sRaw / sOurs);
  }
  std::printf("bench=replay events=%llu pitlog_events_s=%.0f raw_scan_events_s=%.0f ratio_median=%.2f "
              "ratio_min=%.2f ratio_max=%.2f chain_ok=%s\n",
              (unsigned long long)events, bench::median(ours), bench::median(raw),
              bench::median(ratios), *std::min_element(ratios.begin(), ratios.end()),
              *std::max_element(ratios.begin(), ratios.end()), ok ? "yes" : "NO");
  store.reset();
  if (!keep) {
    fs::remove_all(dir);
    fs::remove(built);
  }
  return ok ? 0 : 1;
}
