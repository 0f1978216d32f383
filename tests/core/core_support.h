#pragma once
// Helpers shared by the core tests: a fake clock, command builders, and the whole-store check
// (replay into memory, then compare with the stored views).
//
// Plaintext tokens must never reach test output: compare them inside double parentheses
// (`CHECK((a == b))`, which Catch does not decompose) or through the bool helpers here, and
// name tokens in messages by their hint or tokenId only.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands/engine.h"
#include "commands/token.h"
#include "events/digest.h"
#include "events/log.h"
#include "events/store.h"
#include "projections/replay.h"
#include "projections/view_store.h"

namespace pitlog::coretest {

namespace cmd = ::pitlog::commands;
namespace ev = ::pitlog::events;
namespace proj = ::pitlog::projections;

// 2026-11-28T17:00:00.000Z, an arbitrary fixed start.
inline constexpr ev::UnixMillis kT0 = 1795885200000;

// A clock the test moves by hand; copies share the same time.
class FakeClock {
 public:
  explicit FakeClock(ev::UnixMillis start = kT0)
      : now_(std::make_shared<std::atomic<ev::UnixMillis>>(start)) {}
  ev::UnixMillis now() const { return now_->load(); }
  void set(ev::UnixMillis t) { now_->store(t); }
  void advance(int64_t ms) { now_->fetch_add(ms); }
  cmd::Clock clock() const {
    return [n = now_] { return n->load(); };
  }

 private:
  std::shared_ptr<std::atomic<ev::UnixMillis>> now_;
};

inline ev::Actor adminActor(const std::string& account, const std::string& user = "alice") {
  return {account, user, ev::Role::admin};
}
inline ev::Actor userActor(const std::string& account, const std::string& user = "bob") {
  return {account, user, ev::Role::user};
}

inline cmd::Command command(const std::string& account, const ev::Actor& actor,
                            cmd::Action action) {
  cmd::Command c;
  c.accountId = account;
  c.actor = actor;
  c.requestId = "req-test";
  c.action = std::move(action);
  return c;
}

inline cmd::CreateIntegration createAction(std::string name = "Zapier",
                                           std::vector<std::string> scopes = {"contacts.readonly"},
                                           std::string description = "") {
  return {std::move(name), std::move(description), std::move(scopes)};
}

inline cmd::IdempotencyKey idemKey(const std::string& key, const std::string& request) {
  return {key, ev::sha256(request)};
}

inline cmd::EngineOptions engineOptions(const std::string& dir, const FakeClock& clock,
                                        int64_t windowMs = 10'000, bool sync = false) {
  cmd::EngineOptions o;
  o.dataDir = dir;
  o.clock = clock.clock();
  o.rotationWindowMs = windowMs;
  o.sync = sync;
  return o;
}

// The short names of a token for messages: never the token itself.
inline std::string hintOf(const std::string& token) {
  return cmd::tokenHint(cmd::tokenTail(token));
}
inline std::string tokenIdOfPlain(const std::string& token) {
  return ev::tokenIdOf(ev::sha256(token));
}

// Replays the whole log into memory (verifying the chain) and compares the stored views with the
// rebuild. Returns nullopt when both hold, else what failed. Call it while no writer is running
// (after execute() returned and nothing else is queued).
inline std::optional<std::string> storeProblem(const ev::Store& store) {
  proj::MemoryViewStore rebuilt;
  auto report = proj::replay(store, rebuilt);
  if (!report.ok()) {
    return "chain breaks at event " + std::to_string(*report.failedSeq) + ": " + report.failure;
  }
  if (auto diff = proj::compareViews(store, rebuilt)) {
    return std::string("view differs in ") + ev::keys::familyName(diff->family) + " key " +
           diff->key + " (last written by " + std::to_string(diff->seq) +
           "): " + diff->description;
  }
  return std::nullopt;
}

// Every regular file below dir, read once, for scanning many secrets at a time (the same check
// as testing::treeContains, without reading the tree again per token).
class TreeSnapshot {
 public:
  explicit TreeSnapshot(const std::filesystem::path& dir) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      files_.emplace_back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    }
  }
  bool contains(const std::string& needle) const {
    for (const auto& f : files_) {
      if (f.find(needle) != std::string::npos) return true;
    }
    return false;
  }
  size_t files() const { return files_.size(); }

 private:
  std::vector<std::string> files_;
};

// The decoded events of the whole log, in order.
inline std::vector<ev::DecodedEvent> allEvents(const ev::Store& store) {
  std::vector<ev::DecodedEvent> out;
  ev::forEachEvent(store, 1, 0, [&](uint64_t, std::string_view bytes) {
    std::string error;
    auto e = ev::DecodedEvent::decode(bytes, &error);
    if (!e) throw std::runtime_error("undecodable event: " + error);
    out.push_back(std::move(*e));
    return true;
  });
  return out;
}

inline std::string typeOf(const ev::DecodedEvent& e) {
  return ev::typeName(e.reader().getBody().which());
}

}  // namespace pitlog::coretest
