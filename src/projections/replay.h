#pragma once
// Replay: fold the log, in order, into empty views with the same projection step as the live
// path, verifying the hash chain on the way. Bounded by sequence or time it gives the views as
// of that moment. compareViews() then says whether the stored views equal the rebuild.
#include <functional>
#include <optional>
#include <string>

#include "events/log.h"
#include "events/store.h"
#include "projections/view_store.h"

namespace pitlog::projections {

struct ReplayOptions {
  uint64_t toSeq = 0;                    // 0: to the end of the log
  std::optional<events::UnixMillis> until;  // apply only events with at <= until
  std::function<void(uint64_t seq)> progress;  // called every 4096 events
};

struct ReplayReport {
  uint64_t eventsApplied = 0;
  events::ChainPosition position;        // the last verified event
  std::optional<uint64_t> failedSeq;     // the first event that breaks the chain
  std::string failure;
  bool ok() const { return !failedSeq; }
};

// Stops at the first event that breaks the chain (views then hold everything before it).
ReplayReport replay(const events::Store& store, ViewStore& out, const ReplayOptions& options = {});

struct ViewDifference {
  Family family;
  std::string key;        // printable: hex for binary keys
  uint64_t seq = 0;       // the last event that wrote the differing view, when known
  std::string description;
};

// Compares every view family of the store with the rebuilt views; the first difference in
// family order, then key order.
std::optional<ViewDifference> compareViews(const events::Store& store,
                                           const MemoryViewStore& rebuilt);
// One family of them: its first difference in key order. Different families may be compared
// on different threads at once.
std::optional<ViewDifference> compareFamily(const events::Store& store,
                                            const MemoryViewStore& rebuilt, Family f);

// Replaces the stored views by a rebuild (for pit-replay rebuild, and at open when the stored
// views were written by an older projection version). The caller must hold the database alone.
ReplayReport rebuildStoredViews(events::Store& store);

// The version of the projection code; bump it when a view's encoding or meaning changes, and
// stored views are then rebuilt at open.
inline constexpr uint32_t kViewsVersion = 1;

}  // namespace pitlog::projections
