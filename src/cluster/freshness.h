#pragma once
// The freshness rule of cluster mode (cluster_node.h, "Freshness"), without NATS: a node is fresh
// while it is known to have applied everything the stream held at some moment no longer ago than
// maxStaleness.
//
// Observations (t, L) say "the stream's last sequence was L at some moment no earlier than t":
// whoever asks the stream takes t *before* asking, so that t never flatters the node. Once the
// node's applied position reaches L, it is known current as of t. An observation of a stream the
// node is behind waits until the node catches up; a node cut off makes no new observations, so
// its lag grows from the last moment it was current, and a connection that returns changes
// nothing until the node has caught up with what the stream held after it came back. An
// observation below the largest end observed is dropped: the stream never shrinks, so it came
// from a replica that is behind.
//
// Thread-safety: every member may be called from any thread.
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace pitlog::cluster {

struct FreshnessReading {
  int64_t lagMs = 0;            // now minus the last moment known current (or since the start)
  bool fresh = false;           // known current within maxStaleness
  uint64_t streamPosition = 0;  // the largest last sequence observed
  std::string reason;           // when not fresh: why, in words for /healthz
};

class Freshness {
 public:
  using Clock = std::chrono::steady_clock;

  // `start`: when the node started; a node never known current counts its lag from there.
  Freshness(std::chrono::milliseconds maxStaleness, Clock::time_point start);

  // The stream's last sequence was `last` at some moment no earlier than `askedAt`.
  void observe(uint64_t last, Clock::time_point askedAt);

  // The node has applied `applied` (the engine's applied position) and is `connected` or not.
  FreshnessReading read(uint64_t applied, bool connected, Clock::time_point now) const;

  std::chrono::milliseconds maxStaleness() const { return maxStaleness_; }

 private:
  // Observations the node had not caught up with when last read: the latest time per last
  // sequence. Bounded: past kMaxPending the smallest is dropped, which can only make the node
  // look staler than it is, never fresher.
  static constexpr size_t kMaxPending = 4096;

  const std::chrono::milliseconds maxStaleness_;
  const Clock::time_point start_;
  mutable std::mutex mu_;
  mutable std::map<uint64_t, Clock::time_point> pending_;  // GUARDED_BY(mu_)
  mutable std::optional<Clock::time_point> currentAsOf_;   // GUARDED_BY(mu_)
  uint64_t streamPosition_ = 0;                            // GUARDED_BY(mu_)
};

}  // namespace pitlog::cluster
