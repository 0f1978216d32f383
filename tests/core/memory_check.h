#pragma once
// The check after every storage fault episode: the engine's memory - what verification and the
// scheduler answer from - equals a replay of the log. Every token ever issued is verified both
// ways at the engine's now(); the number of valid tokens and the earliest rotation deadline are
// compared too (a deadline memory lost is a window the scheduler never closes). Call it while no
// command is in flight. Messages name tokens by their hint only.
#include <optional>
#include <string>
#include <vector>

#include "core_support.h"
#include "projections/token_entry.h"

namespace pitlog::coretest {

inline std::optional<std::string> memoryDiffersFromLog(const cmd::Engine& engine,
                                                       const std::vector<std::string>& issued) {
  proj::MemoryViewStore rebuilt;
  auto report = proj::replay(engine.store(), rebuilt);
  if (!report.ok()) {
    return "the log does not replay: event " + std::to_string(*report.failedSeq) + ": " +
           report.failure;
  }
  if (engine.lastSeq() != report.position.lastSeq) {
    return "memory ends at event " + std::to_string(engine.lastSeq()) + ", the log at " +
           std::to_string(report.position.lastSeq);
  }
  const ev::UnixMillis now = engine.now();
  std::optional<ev::UnixMillis> earliest;
  for (const auto& [digest, bytes] : rebuilt.family(ev::keys::Family::tokens)) {
    auto entry = proj::decodeTokenEntry(bytes);
    if (!entry) return "a rebuilt token entry does not decode";
    if (entry->state == proj::TokenState::previous && entry->expiresAt) {
      earliest = earliest ? std::min(*earliest, *entry->expiresAt) : *entry->expiresAt;
    }
  }
  if (engine.tokenCount() != rebuilt.size(ev::keys::Family::tokens)) {
    return "memory holds " + std::to_string(engine.tokenCount()) + " tokens, the log " +
           std::to_string(rebuilt.size(ev::keys::Family::tokens));
  }
  if (engine.nextDeadline() != earliest) {
    auto show = [](std::optional<ev::UnixMillis> t) {
      return t ? std::to_string(*t) : std::string("none");
    };
    return "memory's next deadline is " + show(engine.nextDeadline()) + ", the log's " +
           show(earliest);
  }
  for (const auto& token : issued) {
    const ev::Digest digest = ev::sha256(token);
    auto bytes = rebuilt.lookup(ev::keys::Family::tokens, ev::Sha256::asView(digest));
    auto entry = bytes ? proj::decodeTokenEntry(*bytes) : std::nullopt;
    const bool activeInLog = entry && !(entry->expiresAt && now >= *entry->expiresAt);
    const auto inMemory = engine.verify(token);
    if (inMemory.active != activeInLog) {
      return "token " + hintOf(token) + " is " + (inMemory.active ? "active" : "inactive") +
             " in memory, " + (activeInLog ? "active" : "inactive") + " after a replay";
    }
    if (activeInLog && (inMemory.expiresAt != entry->expiresAt ||
                        inMemory.grant->integrationId() != entry->integrationId ||
                        inMemory.grant->scopes() != entry->scopes)) {
      return "token " + hintOf(token) + " grants otherwise in memory than after a replay";
    }
  }
  return std::nullopt;
}

}  // namespace pitlog::coretest
