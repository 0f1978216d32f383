// The crash test's child: opens an Engine on argv[1] and appends under load from several threads
// until it is killed. After each acknowledged command (its callback has fired, so the batch is
// durable) it writes one line to stdout:
//
//   ack <lastSeq> <integration id> <version>\n
//
// with a single write(2), so the parent never reads half a line from a live child. Nothing else
// is written to stdout, and never a token.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "commands/engine.h"

namespace {

using namespace pitlog;

std::mutex outMu;

void ack(const commands::CommandResult& r) {
  std::string line = "ack " + std::to_string(r.lastSeq) + " " +
                     (r.integration ? r.integration->id : std::string("-")) + " " +
                     std::to_string(r.version) + "\n";
  std::lock_guard lock(outMu);
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDOUT_FILENO, p, left);
    if (n <= 0) std::_Exit(3);  // the parent is gone
    p += n;
    left -= static_cast<size_t>(n);
  }
}

commands::Command make(const std::string& account, commands::Action action) {
  commands::Command c;
  c.accountId = account;
  c.actor = {account, "admin", events::Role::admin};
  c.requestId = "crash";
  c.action = std::move(action);
  return c;
}

void worker(commands::Engine& engine, int index, uint64_t seed) {
  std::mt19937_64 rng(seed + static_cast<uint64_t>(index));
  const std::string account = "acct-" + std::to_string(index % 3);
  std::vector<std::string> ids;
  for (;;) {
    commands::Action action;
    const auto pick = rng() % 10;
    if (ids.empty() || pick < 2) {
      action = commands::CreateIntegration{"crash", "", {"contacts.readonly"}};
    } else {
      const std::string& id = ids[rng() % ids.size()];
      switch (pick) {
        case 2: case 3: {
          commands::EditIntegration e;
          e.integrationId = id;
          e.name = "n" + std::to_string(rng() % 1000);
          action = e;
          break;
        }
        case 4: action = commands::RotateToken{id, commands::ExpireMode::later}; break;
        case 5: action = commands::RotateToken{id, commands::ExpireMode::now}; break;
        case 6: action = commands::CancelRotation{id}; break;
        case 7: action = commands::ExpireRotationNow{id}; break;
        case 8: action = commands::SetPermission{"user" + std::to_string(rng() % 5), rng() % 2 == 0}; break;
        default: action = commands::DeleteIntegration{id}; break;
      }
    }
    auto r = engine.execute(make(account, std::move(action)));
    if (r.ok()) {
      if (r.integration && r.version == 1) ids.push_back(r.integration->id);
      ack(r);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s DATA_DIR SEED\n", argv[0]);
    return 2;
  }
  commands::EngineOptions options;
  options.dataDir = argv[1];
  options.sync = true;
  options.rotationWindowMs = 5;  // windows elapse while the child runs
  auto engine = commands::Engine::open(options);
  const uint64_t seed = std::strtoull(argv[2], nullptr, 10);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back(worker, std::ref(*engine), i, seed);
  // The scheduler, as pitd runs it.
  for (;;) {
    engine->scheduleDueExpiries();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}
