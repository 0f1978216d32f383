#pragma once
// The log as pit-dump prints it (`--format json`, one event per line), read while pitd is
// stopped. EventLog reads only what is new since the last read, so that each event is judged once
// however many cycles the campaign runs, and checks what must hold of the whole log: gap-free
// sequences, unique event ids, at most one `Expired` per token.
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "model.h"

namespace pitlog::campaigns::crash {

struct LoggedEvent {
  uint64_t seq = 0;
  std::string streamId;
  int64_t streamVersion = 0;
  std::string eventId;
  std::string requestId;
  std::string type;
  std::string actorRole;
  Millis at = 0;
  // The members of `data` the campaign reads ("" or false when the type has none).
  std::string tokenId;
  std::string previousTokenId;
  Millis previousExpiresAt = 0;
  bool expireNow = false;
  std::string reason;
  std::string restoredTokenId;
  std::string userId;
  bool allowed = false;
};

class EventLog {
 public:
  EventLog(std::string pitDump, std::string dataDir)
      : pitDump_(std::move(pitDump)), dataDir_(std::move(dataDir)) {}

  // Reads the events appended since the last call. Throws std::runtime_error when pit-dump fails
  // or prints a line that is not an event. Problems with the log itself go to *problems.
  std::vector<LoggedEvent> readNew(std::vector<std::string>* problems);

  const std::vector<LoggedEvent>& all() const { return all_; }

  int64_t duplicates() const { return duplicates_; }

 private:
  std::string pitDump_;
  std::string dataDir_;
  std::vector<LoggedEvent> all_;
  std::set<std::string> eventIds_;
  std::set<std::string> expiredTokens_;
  int64_t duplicates_ = 0;
};

// Checks the expiry scheduler against the whole log: its `Expired` (window_elapsed) names a
// token whose window really elapsed and was neither cancelled nor cut short, and every window
// that elapsed more than `graceMs` before `stoppedAt` was closed by some event (the scheduler's
// catch-up after a kill included). Returns one line per problem; counts in *windowsElapsed the
// windows the scheduler closed.
std::vector<std::string> checkScheduler(const std::vector<LoggedEvent>& events, Millis windowMs,
                                        Millis stoppedAt, Millis graceMs, int64_t* windowsElapsed);

}  // namespace pitlog::campaigns::crash
