#pragma once
// Publishing a commit to the stream, fenced by the position it was decided at.
//
// Every publish carries `Nats-Expected-Last-Sequence: <expectedLastSeq>` (0 included: the client
// library's own option leaves the header out for 0, which would leave the first commit unfenced)
// and `Nats-Msg-Id: <msgId>`. The stream stores the message only when its last sequence is the
// expected one, so a node that decided on stale views can never append; and a publish retried
// with the same msg id within the stream's duplicate window (2 minutes by default) is answered
// with the sequence of the first, whatever the expectation.
//
// Expected outcomes are values (PublishOutcome); a refused or malformed request (a commit over
// kMaxCommitBytes, the stream missing, any other JetStream error) throws NatsError.
// Thread-safety: publish() may be called from several threads at once.
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "cluster/nats_connection.h"
#include "cluster/nats_error.h"

namespace pitlog::cluster {

struct Stored {
  uint64_t seq = 0;  // the stream sequence the commit got
};
struct Duplicate {
  uint64_t seq = 0;  // the sequence of the earlier publish with the same msg id
};
struct WrongLastSequence {
  std::string detail;  // the server's words ("wrong last sequence: 7")
};
struct Unavailable {
  std::string reason;  // no answer in time, no stream leader, or no connection
};
// Stored: acknowledged by a quorum of the stream's replicas. Duplicate: the same msg id was
// stored before (a retry after a lost ack). WrongLastSequence: another commit came first: catch
// up and decide again. Unavailable: nothing is known; the commit may or may not be stored, so the
// writer retries with the same msg id (and expected sequence) until it gets one of the others.
using PublishOutcome = std::variant<Stored, Duplicate, WrongLastSequence, Unavailable>;

class CommitPublisher {
 public:
  // conn must outlive the publisher.
  CommitPublisher(const NatsConnection& conn, std::string streamName);

  // Publishes one encoded commit. expectedLastSeq: the stream sequence of the last commit the
  // writer's views include (0 for an empty stream). msgId: unique per commit, the same on every
  // retry of it; not empty. Throws std::invalid_argument for bytes over kMaxCommitBytes or an
  // empty msg id.
  [[nodiscard]] PublishOutcome publish(std::string_view bytes, uint64_t expectedLastSeq,
                                       const std::string& msgId) const;

 private:
  const NatsConnection& conn_;
  std::string stream_, subject_;
};

}  // namespace pitlog::cluster
