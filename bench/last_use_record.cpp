// last-use-record: what recording last use adds to verification. The same query stream through
// commands::verifyToken alone, and through verifyToken + LastUseTable::record for active answers
// (what Engine::verify does), alternating rounds in one process; one thread, then two threads on
// one shared table (hot tokens written from two cores).
//   last_use_record [tokens=1000000] [queries=2000000] [rounds=5]
// Query mix as verify_inproc: 70% live tokens, 20% well-formed unknown tokens, 10% malformed.
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_util.h"
#include "bench/query_mix.h"
#include "commands/last_use_table.h"
#include "commands/token.h"
#include "commands/verify.h"

using namespace pitlog;

namespace {

// Seconds for `threads` threads to each verify the whole stream (recording uses when `record`).
double pass(const projections::TokenIndex& index, commands::LastUseTable& lastUse,
            const std::vector<std::string>& stream, int threads, bool record, int64_t now) {
  auto start = bench::Clock::now();
  std::vector<std::thread> workers;
  for (int w = 0; w < threads; ++w) {
    workers.emplace_back([&] {
      size_t active = 0;
      for (const auto& q : stream) {
        auto v = commands::verifyToken(index, q, std::nullopt, now);
        if (v.active) {
          ++active;
          if (record) lastUse.record(v.digest, now);
        }
      }
      bench::keep(active);
    });
  }
  for (auto& w : workers) w.join();
  return bench::secondsSince(start);
}

}  // namespace

int main(int argc, char** argv) {
  const size_t tokens = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  const size_t queries = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 2'000'000;
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 5;
  std::mt19937_64 rng(42);

  projections::TokenIndex index;
  commands::LastUseTable lastUse;
  std::vector<std::string> live;
  std::vector<projections::TokenChange> changes;
  const std::vector<std::string> scopes = {"contacts.readonly", "contacts.write"};
  for (size_t i = 0; i < tokens; ++i) {
    auto t = commands::generateToken();
    changes.push_back({t.digest, projections::TokenEntry{"int_" + std::to_string(i), "acct-1",
                                                         projections::TokenState::current,
                                                         1'800'000'000'000, std::nullopt, scopes}});
    lastUse.track(t.digest);
    live.push_back(t.plaintext);
    if (changes.size() == 100'000) {
      index.apply(changes);
      changes.clear();
    }
  }
  index.apply(changes);
  const std::vector<std::string> stream = bench::introspectionQueryMix(live, queries, rng);

  for (int threads : {1, 2}) {
    std::vector<double> ratios, opsWithout, opsWith;
    int64_t now = 1'900'000'000'000;
    for (int r = 0; r < rounds; ++r) {
      // Alternating which goes first, so that neither always runs on the other's warm caches.
      double without = 0, with = 0;
      if (r % 2 == 0) {
        without = pass(index, lastUse, stream, threads, false, now);
        with = pass(index, lastUse, stream, threads, true, ++now);
      } else {
        with = pass(index, lastUse, stream, threads, true, ++now);
        without = pass(index, lastUse, stream, threads, false, now);
      }
      ratios.push_back(without / with);  // throughput with recording / without
      opsWithout.push_back(threads * queries / without);
      opsWith.push_back(threads * queries / with);
    }
    std::printf("bench=last-use-record tokens=%zu queries=%zu threads=%d rounds=%d "
                "verify_ops_s=%.0f verify_record_ops_s=%.0f "
                "ratio_median=%.3f ratio_min=%.3f ratio_max=%.3f\n",
                tokens, queries, threads, rounds, bench::median(opsWithout),
                bench::median(opsWith), bench::median(ratios),
                *std::min_element(ratios.begin(), ratios.end()),
                *std::max_element(ratios.begin(), ratios.end()));
  }
  return 0;
}
