#pragma once
// The part of a fuzz target's harness that fuzz_http and fuzz_rpc share: one engine on a fresh
// temp data dir (sync off: durability is not under test in a fuzzer), seeded by the target, and
// started afresh once it holds kMaxEvents, so that libFuzzer's RSS limit measures leaks, not the
// data set (every create adds to the engine's memory for good).
//
// A target's harness holds a ScratchEngine, seeds it in its start() and lists what serves it;
// installHarness<H>() makes the harness once per process. Findings abort with a message on stderr
// (never the request, which may hold a plaintext token).
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>

#include "commands/engine.h"

namespace pitlog::fuzz {

class ScratchEngine {
 public:
  static constexpr uint64_t kMaxEvents = 200'000;

  // `dirPrefix` names the temp dir ("pitlog-fuzz-http"); `onBatch` goes to EngineOptions.
  explicit ScratchEngine(std::string dirPrefix,
                         std::function<void(const commands::BatchStats&)> onBatch = {});

  // A fresh data dir and an engine on it. Aborts when either cannot be made.
  void open();
  // Stops the engine and removes its data dir.
  void close();
  // Past kMaxEvents: the harness should stop and start again.
  bool full() const { return engine_->lastSeq() > kMaxEvents; }

  commands::Engine& engine() { return *engine_; }

  // Executes a command the harness seeds with, as `actor` of `account`; aborts when it is
  // refused (the harness's own data must be valid).
  commands::CommandResult seed(const std::string& account, commands::Action action,
                        const std::string& requestId = {});

 private:
  std::string dirPrefix_;
  std::function<void(const commands::BatchStats&)> onBatch_;
  std::string dir_;
  std::unique_ptr<commands::Engine> engine_;
};

// Reports a finding and aborts, so that libFuzzer saves the input.
[[noreturn]] void finding(const char* target, const std::string& what, const std::string& detail);

// The target's harness, made at the first call and reachable until exit (so LSan does not count
// it); its stop() runs at exit. `Harness` has a default constructor and stop().
template <class Harness>
Harness& installHarness() {
  static Harness* harness = nullptr;
  if (!harness) {
    harness = new Harness();
    std::atexit([] { harness->stop(); });
  }
  return *harness;
}

}  // namespace pitlog::fuzz
