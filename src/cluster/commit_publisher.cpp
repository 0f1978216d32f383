#include "cluster/commit_publisher.h"

#include <memory>
#include <stdexcept>

#include "cluster/commit_codec.h"
#include "cluster/commit_stream.h"
#include "cluster/nats_status.h"

namespace pitlog::cluster {

namespace {

struct MsgDeleter {
  void operator()(natsMsg* m) const { natsMsg_Destroy(m); }
};
struct AckDeleter {
  void operator()(jsPubAck* a) const { jsPubAck_Destroy(a); }
};

bool isUnavailable(natsStatus s) {
  return s == NATS_TIMEOUT || s == NATS_NO_RESPONDERS || s == NATS_CONNECTION_CLOSED ||
         s == NATS_CONNECTION_DISCONNECTED || s == NATS_NOT_YET_CONNECTED ||
         s == NATS_STALE_CONNECTION;
}

}  // namespace

CommitPublisher::CommitPublisher(const NatsConnection& conn, std::string streamName)
    : conn_(conn), stream_(std::move(streamName)), subject_(commitSubject(stream_)) {}

PublishOutcome CommitPublisher::publish(std::string_view bytes, uint64_t expectedLastSeq,
                                        const std::string& msgId) const {
  if (bytes.size() > kMaxCommitBytes) {
    throw std::invalid_argument("a commit of " + std::to_string(bytes.size()) +
                                " bytes is over the limit of " + std::to_string(kMaxCommitBytes));
  }
  if (msgId.empty()) throw std::invalid_argument("a commit needs a msg id");

  natsMsg* raw = nullptr;
  natsStatus s = natsMsg_Create(&raw, subject_.c_str(), nullptr, bytes.data(), int(bytes.size()));
  if (s != NATS_OK) throwNatsError("creating a commit message", s);
  std::unique_ptr<natsMsg, MsgDeleter> msg(raw);
  // Set by hand: jsPubOptions.ExpectLastSeq = 0 means "no expectation" to the client library.
  const std::string expected = std::to_string(expectedLastSeq);
  s = natsMsgHeader_Set(msg.get(), "Nats-Expected-Last-Sequence", expected.c_str());
  if (s == NATS_OK) s = natsMsgHeader_Set(msg.get(), "Nats-Msg-Id", msgId.c_str());
  if (s != NATS_OK) throwNatsError("setting a commit's headers", s);

  jsPubOptions opts;
  jsPubOptions_Init(&opts);
  opts.ExpectStream = stream_.c_str();  // an answer from any other stream is an error
  opts.MaxWait = conn_.requestTimeout().count();
  jsPubAck* ackRaw = nullptr;
  jsErrCode jerr = jsErrCode(0);
  s = js_PublishMsg(&ackRaw, conn_.jetStream(), msg.get(), &opts, &jerr);
  std::unique_ptr<jsPubAck, AckDeleter> ack(ackRaw);
  if (s == NATS_OK) {
    if (ack->Duplicate) return Duplicate{ack->Sequence};
    return Stored{ack->Sequence};
  }
  if (jerr == JSStreamWrongLastSequenceErr) {
    return WrongLastSequence{describeNatsFailure("publish", s, jerr)};
  }
  // No answer in time, no connection, or no responder (the stream has no leader for a moment;
  // the client reports that as "JetStream not enabled", 10076); during a leader change the
  // stream may also answer "temporarily unavailable". Anything else (the stream deleted, a
  // message refused) is not an outcome a writer can retry.
  if (isUnavailable(s) || jerr == JSClusterNotAvailErr || jerr == JSClusterNotLeaderErr) {
    return Unavailable{describeNatsFailure("publish", s, jerr)};
  }
  throwNatsError("publishing to stream " + stream_, s, jerr);
}

}  // namespace pitlog::cluster
