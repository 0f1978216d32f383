#include "cluster/freshness.h"

#include <algorithm>

namespace pitlog::cluster {

Freshness::Freshness(std::chrono::milliseconds maxStaleness, Clock::time_point start)
    : maxStaleness_(maxStaleness), start_(start) {}

void Freshness::observe(uint64_t last, Clock::time_point askedAt) {
  std::lock_guard lock(mu_);
  // A stream never shrinks: an answer below an end already observed comes from a replica behind
  // the stream (a resumed old leader), whenever it was asked. Taking it could only flatter.
  if (last < streamPosition_) return;
  streamPosition_ = last;
  if (currentAsOf_ && askedAt <= *currentAsOf_) return;  // tells nothing newer
  auto [it, inserted] = pending_.try_emplace(last, askedAt);
  if (!inserted) it->second = std::max(it->second, askedAt);
  if (pending_.size() > kMaxPending) pending_.erase(pending_.begin());
}

FreshnessReading Freshness::read(uint64_t applied, bool connected, Clock::time_point now) const {
  std::lock_guard lock(mu_);
  // Every observation the node has caught up with makes it current as of its time.
  while (!pending_.empty() && pending_.begin()->first <= applied) {
    const auto at = pending_.begin()->second;
    if (!currentAsOf_ || at > *currentAsOf_) currentAsOf_ = at;
    pending_.erase(pending_.begin());
  }
  FreshnessReading r;
  r.streamPosition = streamPosition_;
  const auto since = currentAsOf_ ? *currentAsOf_ : start_;
  r.lagMs = std::max<int64_t>(
      0, std::chrono::duration_cast<std::chrono::milliseconds>(now - since).count());
  r.fresh = currentAsOf_.has_value() && r.lagMs <= maxStaleness_.count();
  if (r.fresh) return r;
  const std::string position =
      "applied position " + std::to_string(applied) + " of " + std::to_string(streamPosition_);
  if (!connected) {
    r.reason = "not connected to the stream (" + position + ")";
  } else if (applied < streamPosition_) {
    r.reason = "catching up with the stream (" + position + ")";
  } else if (!currentAsOf_) {
    r.reason = "no word from the stream yet";
  } else {
    r.reason = "no word from the stream for " + std::to_string(r.lagMs) + " ms";
  }
  return r;
}

}  // namespace pitlog::cluster
