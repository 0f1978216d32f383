#pragma once
// The JetStream stream that holds the commits: its subject, its set-up, and its last sequence.
//
// The stream is the cluster's log, so it must never lose a message. ensureStream() creates it
// with file storage, the replicas asked for, no age/size/count limits, deletes, purges and
// roll-ups denied; on an existing stream it refuses any setting that could drop history.
// Thread-safety: free functions over a NatsConnection, callable from any thread.
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "cluster/nats_connection.h"
#include "cluster/nats_error.h"

struct jsClusterInfo;  // nats/nats.h

namespace pitlog::cluster {

struct StreamSettings {
  std::string name = "PITLOG";  // API.md: --cluster-stream
  int replicas = 3;             // 1 to 5, used only when the stream is created
  // A cluster that has just started answers "no suitable peers for placement" (and has no meta
  // leader to answer at all) for a few seconds: creation is retried for this long.
  std::chrono::milliseconds createRetryFor{15000};
};

// The one subject the stream takes and commits are published to: "<name>.commits".
std::string commitSubject(std::string_view streamName);

// An existing stream whose configuration could lose history (or cannot hold commits).
class UnsafeStreamError : public std::runtime_error {
 public:
  UnsafeStreamError(const std::string& stream, const std::string& setting, const std::string& why)
      : std::runtime_error("stream " + stream + " is unsafe for pitlog: " + setting + " " + why),
        setting_(setting) {}
  // The setting's name as nats-server's configuration spells it: "max_age", "deny_delete", ...
  const std::string& setting() const { return setting_; }

 private:
  std::string setting_;
};

enum class StreamState { created, existing };

// Creates the stream when missing, else checks it. Throws UnsafeStreamError naming the first
// setting that could lose history (any limit, a retention other than limits, memory storage,
// deletes, purges or roll-ups allowed, a max_msg_size below kMaxCommitBytes, a subject list
// without commitSubject()); NatsError when the cluster does not answer in time. A stream created
// concurrently by another node with the same settings is accepted as existing.
[[nodiscard]] StreamState ensureStream(const NatsConnection& conn, const StreamSettings& settings);

// The stream's last sequence (0 when empty). Throws NatsError when it cannot be asked.
[[nodiscard]] uint64_t streamLastSequence(const NatsConnection& conn, std::string_view streamName);

// The stream's last sequence as an observation that the stream ended there at the moment of
// asking (cluster_node.h, "Freshness"); nullopt when the answer cannot vouch for that. Stream
// info is answered by whichever replica believes it leads: a leader that was paused or cut off
// while the others elected another and went on still answers from its old state until it hears
// of the new term (measured: for about a second after it resumes, and for requests that waited in
// its socket). So an answer counts only when its leader shows it heard from a majority of the
// stream's replicas, itself included, within kLeaderContactBound, which is shorter than any
// election timeout: a majority that recently acknowledged it cannot have elected a successor.
// Throws NatsError when the stream cannot be asked.
[[nodiscard]] std::optional<uint64_t> observeStreamEnd(const NatsConnection& conn,
                                                       std::string_view streamName);

// nats-server elects a new leader only after at least 4 s without heartbeats (its minimum
// election timeout); a healthy leader hears from each follower about every second.
inline constexpr std::chrono::milliseconds kLeaderContactBound{2000};

// Whether the answering leader heard from a majority of the replicas, itself included, within
// `bound` (pure: over the stream info's cluster part; a stream with one replica always has).
[[nodiscard]] bool leaderHeardFromMajority(const jsClusterInfo* cluster,
                                           std::chrono::milliseconds bound);

}  // namespace pitlog::cluster
