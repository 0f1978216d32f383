// Builds the database introspect-http runs against, through the real Engine: N active
// integrations, a sample of whose tokens the load generator sends (valid ones, and previous
// tokens made invalid by a rotation with "now"), plus well-formed tokens that were never issued.
//   introspect_fixture DIR N FIFO [PASSES=1]
// The sample goes to named pipes (so no token is ever written to disk), one "kind token" line
// each: FIFO.1, FIFO.2, ... FIFO.PASSES, one per load run (a pipe per reader: reopening one
// pipe could hand the next pass to a reader that has not closed yet). It writes them after the
// database is closed, so that pitd can open it, and prints "ready" to stdout at that point.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "commands/engine.h"

using namespace pitlog;

int main(int argc, char** argv) {
  if (argc != 4 && argc != 5) {
    std::fprintf(stderr, "usage: introspect_fixture DIR N FIFO [PASSES]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const size_t n = std::strtoull(argv[2], nullptr, 10);
  const size_t sample = std::min<size_t>(n, 10'000);
  std::vector<std::string> valid, expired, unknown;
  {
    commands::EngineOptions o;
    o.dataDir = dir;
    o.sync = false;  // a fixture; the server it is served by runs with sync on
    auto engine = commands::Engine::open(o);
    const int threads = 16;
    std::vector<std::vector<std::string>> validPart(threads), expiredPart(threads);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        for (size_t i = t; i < n; i += threads) {
          commands::Command c;
          c.accountId = "acct-" + std::to_string(i % 10'000);
          c.actor = {c.accountId, "admin", events::Role::admin};
          c.action = commands::CreateIntegration{"app " + std::to_string(i), "",
                                                 {"contacts.readonly", "contacts.write"}};
          auto r = engine->execute(c);
          if (!r.ok()) std::abort();
          if (i < sample) {
            if (i % 10 == 0) {  // one in ten sampled integrations: its first token rotated out
              expiredPart[t].push_back(*r.token);
              c.action = commands::RotateToken{r.integration->id, commands::ExpireMode::now};
              auto rotated = engine->execute(c);
              if (!rotated.ok()) std::abort();
              validPart[t].push_back(*rotated.token);
            } else {
              validPart[t].push_back(*r.token);
            }
          }
        }
      });
    }
    for (auto& th : pool) th.join();
    for (int t = 0; t < threads; ++t) {
      valid.insert(valid.end(), validPart[t].begin(), validPart[t].end());
      expired.insert(expired.end(), expiredPart[t].begin(), expiredPart[t].end());
    }
    for (size_t i = 0; i < sample / 4; ++i) unknown.push_back(commands::generateToken().plaintext);
  }
  std::cout << "ready valid=" << valid.size() << " expired=" << expired.size()
            << " unknown=" << unknown.size() << std::endl;
  const int passes = argc == 5 ? std::atoi(argv[4]) : 1;
  for (int pass = 0; pass < passes; ++pass) {
    // Blocks until that run's load generator opens its pipe.
    std::ofstream fifo(std::string(argv[3]) + "." + std::to_string(pass + 1));
    for (const auto& t : valid) fifo << "valid " << t << "\n";
    for (const auto& t : expired) fifo << "expired " << t << "\n";
    for (const auto& t : unknown) fifo << "unknown " << t << "\n";
    if (!fifo.good()) return 1;
  }
  return 0;
}
