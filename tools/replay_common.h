#pragma once
// What pit-replay's subcommands share: naming the event a damaged log fails at, naming the event
// behind a differing view, checkpoint statements, and progress for a person at a terminal.
#include <optional>
#include <string>

#include "events/log.h"
#include "events/store.h"
#include "projections/replay.h"
#include "tool_context.h"

namespace pitlog::tools {

// Verifies the chain alone (no views) from event 1 to the end, meta included. A failed report
// names the first event that is not intact, as replay() does (events::diagnoseChainBreak).
// onEvent (may be empty) sees each intact event's position: its seq and its hash.
projections::ReplayReport verifyChain(
    const events::Store& store, const std::function<void(uint64_t)>& progress,
    const std::function<void(const events::ChainPosition&)>& onEvent = {});

// A view that differs from its rebuild, with the event that last wrote it (0 when unknown) and,
// for an integration, which of its fields differ.
struct ViewFailure {
  uint64_t seq = 0;
  std::string what;
};
ViewFailure describeViewDifference(const events::Store& store,
                                   const projections::MemoryViewStore& rebuilt,
                                   const projections::ViewDifference& diff);

// pit-replay checkpoint's statement.
struct Checkpoint {
  uint64_t seq = 0;
  events::Digest hash{};
  events::UnixMillis at = 0;
  std::string eventId;  // hex
  events::UnixMillis takenAt = 0;
};
inline constexpr const char* kCheckpointFormat = "pitlog-checkpoint/1";
std::string checkpointToJson(const Checkpoint& c);
// Reads a statement written by checkpointToJson, checking every field (an eventId of 32 hex
// digits, at <= takenAt <= now). Throws UsageError when the file cannot be read or is not such a
// statement.
Checkpoint readCheckpointFile(const std::string& path, events::UnixMillis now);

// Calls back every 4096 events; on a terminal, rewrites one "\r…" line on ctx.err with the rate.
class Progress {
 public:
  explicit Progress(ToolContext& ctx, std::string what);
  std::function<void(uint64_t)> callback();
  // Clears the progress line (if any was drawn).
  void finish();

 private:
  ToolContext& ctx_;
  std::string what_;
  int64_t startMicros_;
  bool drawn_ = false;
};

}  // namespace pitlog::tools
