#pragma once
// Reading the stream's commits in order, from a position, for a follower (and for a writer that
// lost a race and must catch up).
//
// The reader keeps its own position (the stream sequence of the last commit it delivered) and
// delivers only the next one: a message it has seen is skipped, a gap makes it drop its consumer
// and start again from position() + 1. It reads through an ephemeral pull consumer that it
// re-creates whenever it is lost (a server restart, a leader change, a reconnect), so a caller
// sees only "commits, in order, none twice, none missing", or nothing for a while.
//
// Freshness (API.md's --max-staleness): lastHeard() is the last time the reader either delivered
// a commit or had the stream confirm that position() is its last sequence (asked after a poll
// that found nothing). A node whose lastHeard() is too old cannot know what it is missing. A poll
// that finds nothing, or delivers the last commit the server said was pending, asks the stream
// for its last sequence and hands it to its observer with the time taken before asking
// (freshness.h). A message's own pending count is no such observation: the client may deliver
// a message the server sent a while ago (for an earlier fetch), so it only feeds
// streamLastSeen(), a hint for progress reports.
//
// Thread-safety: poll() belongs to one thread; position(), lastHeard() and connected() may be read
// from any thread.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cluster/nats_connection.h"
#include "cluster/nats_error.h"

typedef struct __natsSubscription natsSubscription;

namespace pitlog::cluster {

struct StreamCommit {
  uint64_t seq = 0;   // its stream sequence
  std::string bytes;  // the message as published: an encoded commit (decodeCommit())
};

class CommitReader {
 public:
  using Clock = std::chrono::steady_clock;
  // The stream's last sequence was `last` at some moment no earlier than `askedAt`. Called on
  // the polling thread.
  using Observer = std::function<void(uint64_t last, Clock::time_point askedAt)>;

  // Reads the commits after stream sequence `afterSeq`. conn must outlive the reader. Nothing is
  // asked of the server before the first poll().
  CommitReader(const NatsConnection& conn, std::string streamName, uint64_t afterSeq,
               Observer observer = {});
  ~CommitReader();
  CommitReader(const CommitReader&) = delete;
  CommitReader& operator=(const CommitReader&) = delete;

  // Waits up to about `wait` for the commits after position() and returns up to `max` of them,
  // in order (seqs position()+1, +2, ...); none when there are none or the stream cannot be
  // reached. Does not throw for an unreachable or restarting cluster: it tries again on the next
  // call. Throws NatsError only for a refusal that retrying cannot cure (the stream is missing).
  std::vector<StreamCommit> poll(std::chrono::milliseconds wait, int max = 256);

  uint64_t position() const { return position_.load(); }
  // The largest last sequence the stream was seen with (asked, or a message's sequence plus the
  // messages pending behind it): for progress, never for freshness.
  uint64_t streamLastSeen() const { return streamLastSeen_.load(); }
  // Clock::time_point{} until the reader first hears from the stream.
  Clock::time_point lastHeard() const {
    return Clock::time_point(Clock::duration(lastHeard_.load()));
  }
  // Whether the connection is up (it says nothing of the stream's own health: see lastHeard()).
  bool connected() const { return conn_.connected(); }

 private:
  void subscribe();
  void unsubscribe();
  void heard();
  // After a poll that found nothing: does the stream agree that position() is its end?
  void confirmCaughtUp();
  // Asks the stream for its last sequence and hands it to the observer; nullopt when it cannot.
  std::optional<uint64_t> askStreamEnd();
  void seen(uint64_t last);

  const NatsConnection& conn_;
  std::string stream_, subject_;
  Observer observer_;
  natsSubscription* sub_ = nullptr;
  int emptyPollsBehind_ = 0;  // polls that found nothing although the stream has more
  std::atomic<uint64_t> position_;
  std::atomic<uint64_t> streamLastSeen_{0};
  std::atomic<Clock::rep> lastHeard_{0};
};

}  // namespace pitlog::cluster
