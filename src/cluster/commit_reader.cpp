#include "cluster/commit_reader.h"

#include <algorithm>
#include <thread>

#include "cluster/commit_stream.h"
#include "cluster/nats_status.h"

namespace pitlog::cluster {

namespace {

// Polls that find nothing while the stream has more before the consumer is taken for lost and
// re-created (one such poll can be a race with a publish).
constexpr int kEmptyPollsBeforeResubscribe = 2;

}  // namespace

CommitReader::CommitReader(const NatsConnection& conn, std::string streamName, uint64_t afterSeq,
                           Observer observer)
    : conn_(conn),
      stream_(std::move(streamName)),
      subject_(commitSubject(stream_)),
      observer_(std::move(observer)),
      position_(afterSeq) {}

CommitReader::~CommitReader() { unsubscribe(); }

void CommitReader::heard() { lastHeard_.store(Clock::now().time_since_epoch().count()); }

void CommitReader::subscribe() {
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = stream_.c_str();
  so.Config.DeliverPolicy = js_DeliverByStartSequence;
  so.Config.OptStartSeq = position_.load() + 1;
  // A pull consumer needs acks on this server version; acking the last message of each batch
  // acknowledges the batch. Its state is disposable: the reader keeps the position.
  so.Config.AckPolicy = js_AckAll;
  so.Config.MemoryStorage = true;
  so.Config.InactiveThreshold = int64_t(30) * 1000 * 1000 * 1000;  // ns: removed when forgotten
  jsErrCode jerr = jsErrCode(0);
  natsStatus s =
      js_PullSubscribe(&sub_, conn_.jetStream(), subject_.c_str(), nullptr, nullptr, &so, &jerr);
  if (s == NATS_OK) return;
  sub_ = nullptr;
  if (jerr == JSStreamNotFoundErr) throwNatsError("reading stream " + stream_, s, jerr);
  // Anything else (no connection, no leader yet) is retried on the next poll.
}

void CommitReader::unsubscribe() {
  if (sub_ == nullptr) return;
  natsSubscription_Unsubscribe(sub_);  // also removes the consumer, when the server is there
  natsSubscription_Destroy(sub_);
  sub_ = nullptr;
}

void CommitReader::seen(uint64_t last) {
  uint64_t known = streamLastSeen_.load();
  while (known < last && !streamLastSeen_.compare_exchange_weak(known, last)) {
  }
}

std::optional<uint64_t> CommitReader::askStreamEnd() {
  if (!conn_.connected()) return std::nullopt;
  const auto askedAt = Clock::now();
  std::optional<uint64_t> answer;
  try {
    answer = observeStreamEnd(conn_, stream_);
  } catch (const NatsError&) {
    return std::nullopt;
  }
  if (!answer) return std::nullopt;  // from a leader that may have been replaced: not heard
  const uint64_t last = *answer;
  seen(last);
  if (observer_) observer_(last, askedAt);
  return last;
}

void CommitReader::confirmCaughtUp() {
  const auto asked = askStreamEnd();
  if (!asked) return;  // not heard: lastHeard() stays where it was
  const uint64_t last = *asked;
  if (last <= position_.load()) {
    emptyPollsBehind_ = 0;
    heard();
  } else if (++emptyPollsBehind_ >= kEmptyPollsBeforeResubscribe) {
    emptyPollsBehind_ = 0;
    unsubscribe();  // the consumer is gone or stuck: start again from position() + 1
  }
}

std::vector<StreamCommit> CommitReader::poll(std::chrono::milliseconds wait, int max) {
  std::vector<StreamCommit> out;
  if (sub_ == nullptr) subscribe();
  if (sub_ == nullptr) {
    std::this_thread::sleep_for(std::min(wait, std::chrono::milliseconds(250)));
    return out;
  }
  natsMsgList list{};
  jsErrCode jerr = jsErrCode(0);
  natsStatus s =
      natsSubscription_Fetch(&list, sub_, max, std::max<int64_t>(wait.count(), 1), &jerr);
  if (s == NATS_TIMEOUT) {
    confirmCaughtUp();
    return out;
  }
  if (s != NATS_OK) {
    natsMsgList_Destroy(&list);
    unsubscribe();
    return out;
  }
  bool gap = false;
  natsMsg* lastAccepted = nullptr;
  uint64_t pendingAfter = 0;  // behind the last accepted message, as its metadata tells
  for (int i = 0; i < list.Count && !gap; ++i) {
    natsMsg* m = list.Msgs[i];
    jsMsgMetaData* meta = nullptr;
    if (natsMsg_GetMetaData(&meta, m) != NATS_OK) {
      gap = true;  // not a stream message: start again rather than guess
      break;
    }
    const uint64_t seq = meta->Sequence.Stream;
    const uint64_t pending = meta->NumPending;
    jsMsgMetaData_Destroy(meta);
    const uint64_t next = position_.load() + 1;
    if (seq < next) continue;  // delivered before (a redelivery)
    if (seq > next) {
      gap = true;
      break;
    }
    out.push_back({seq, std::string(natsMsg_GetData(m), size_t(natsMsg_GetDataLength(m)))});
    position_.store(seq);
    lastAccepted = m;
    pendingAfter = pending;
  }
  if (lastAccepted != nullptr) natsMsg_Ack(lastAccepted, nullptr);  // AckAll: the whole batch
  natsMsgList_Destroy(&list);
  if (!out.empty()) {
    emptyPollsBehind_ = 0;
    heard();
    seen(position_.load() + pendingAfter);
    // The end of the stream as far as that message knew: is it the end now?
    if (pendingAfter == 0) (void)askStreamEnd();
  }
  if (gap) unsubscribe();
  return out;
}

}  // namespace pitlog::cluster
