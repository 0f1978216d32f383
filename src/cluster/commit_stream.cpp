#include "cluster/commit_stream.h"

#include <memory>
#include <optional>
#include <thread>

#include "cluster/commit_codec.h"
#include "cluster/nats_status.h"

namespace pitlog::cluster {

namespace {

using Clock = std::chrono::steady_clock;

struct StreamInfoDeleter {
  void operator()(jsStreamInfo* si) const { jsStreamInfo_Destroy(si); }
};
using StreamInfo = std::unique_ptr<jsStreamInfo, StreamInfoDeleter>;

// Answers that mean "the cluster is not ready yet" (no meta leader, no peers placed yet), worth
// retrying on a fresh cluster.
bool notReadyYet(natsStatus s, jsErrCode jerr) {
  return jerr == JSClusterNoPeersErr || jerr == JSClusterNotAvailErr ||
         jerr == JSClusterNotLeaderErr || s == NATS_TIMEOUT || s == NATS_NO_RESPONDERS;
}

// The stream's info, or null when it does not exist. Retries "not ready" answers until deadline.
StreamInfo getStreamInfo(const NatsConnection& conn, const std::string& name,
                         Clock::time_point deadline) {
  for (;;) {
    jsStreamInfo* si = nullptr;
    jsErrCode jerr = jsErrCode(0);
    natsStatus s = js_GetStreamInfo(&si, conn.jetStream(), name.c_str(), nullptr, &jerr);
    if (s == NATS_OK) return StreamInfo(si);
    if (jerr == JSStreamNotFoundErr) return nullptr;
    if (!notReadyYet(s, jerr) || Clock::now() >= deadline) {
      throwNatsError("reading stream " + name, s, jerr);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

// The first setting of an existing stream that could lose history, with why.
void checkSafe(const std::string& name, const jsStreamConfig& c) {
  auto refuse = [&](const char* setting, const std::string& why) {
    throw UnsafeStreamError(name, setting, why);
  };
  if (c.Retention != js_LimitsPolicy)
    refuse("retention", "is not 'limits': consumers would remove messages");
  if (c.MaxMsgs > 0)
    refuse("max_msgs", "is " + std::to_string(c.MaxMsgs) + "; it must be unlimited");
  if (c.MaxBytes > 0)
    refuse("max_bytes", "is " + std::to_string(c.MaxBytes) + "; it must be unlimited");
  if (c.MaxAge > 0) {
    refuse("max_age", "is " + std::to_string(c.MaxAge / 1000000000) + " s; it must be unlimited");
  }
  if (c.MaxMsgsPerSubject > 0) {
    refuse("max_msgs_per_subject",
           "is " + std::to_string(c.MaxMsgsPerSubject) + "; it must be unlimited");
  }
  if (c.Storage != js_FileStorage) refuse("storage", "is memory: a restart would lose the log");
  if (!c.DenyDelete) refuse("deny_delete", "is false: messages could be deleted");
  // Before deny_purge: the server allows roll-ups only where purges are allowed.
  if (c.AllowRollup) refuse("allow_rollup_hdrs", "is true: a roll-up would purge the log");
  if (!c.DenyPurge) refuse("deny_purge", "is false: the stream could be purged");
  if (c.MaxMsgSize > 0 && size_t(c.MaxMsgSize) < kMaxCommitBytes) {
    refuse("max_msg_size", "is " + std::to_string(c.MaxMsgSize) + " bytes; commits need " +
                               std::to_string(kMaxCommitBytes));
  }
  const std::string subject = commitSubject(name);
  bool hasSubject = false;
  for (int i = 0; i < c.SubjectsLen; ++i) hasSubject |= subject == c.Subjects[i];
  if (!hasSubject) refuse("subjects", "do not include " + subject);
}

}  // namespace

std::string commitSubject(std::string_view streamName) {
  return std::string(streamName) + ".commits";
}

StreamState ensureStream(const NatsConnection& conn, const StreamSettings& settings) {
  if (settings.replicas < 1 || settings.replicas > 5) {
    throw std::invalid_argument("stream replicas must be 1 to 5, not " +
                                std::to_string(settings.replicas));
  }
  const std::string subject = commitSubject(settings.name);
  const auto deadline = Clock::now() + settings.createRetryFor;
  for (;;) {
    if (auto existing = getStreamInfo(conn, settings.name, deadline)) {
      checkSafe(settings.name, *existing->Config);
      return StreamState::existing;
    }
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    const char* subjects[] = {subject.c_str()};
    config.Name = settings.name.c_str();
    config.Subjects = subjects;
    config.SubjectsLen = 1;
    config.Retention = js_LimitsPolicy;
    config.Storage = js_FileStorage;
    config.Replicas = settings.replicas;
    config.MaxMsgs = -1;
    config.MaxBytes = -1;
    config.MaxAge = 0;
    config.MaxMsgsPerSubject = -1;
    config.DenyDelete = true;
    config.DenyPurge = true;
    config.AllowRollup = false;
    jsStreamInfo* si = nullptr;
    jsErrCode jerr = jsErrCode(0);
    natsStatus s = js_AddStream(&si, conn.jetStream(), &config, nullptr, &jerr);
    if (s == NATS_OK) {
      jsStreamInfo_Destroy(si);
      return StreamState::created;
    }
    // Another node created it first (with other settings: the next round checks them).
    if (jerr == JSStreamNameExistErr && Clock::now() < deadline) continue;
    if (!notReadyYet(s, jerr) || Clock::now() >= deadline) {
      throwNatsError("creating stream " + settings.name, s, jerr);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

uint64_t streamLastSequence(const NatsConnection& conn, std::string_view streamName) {
  const std::string name(streamName);
  auto si = getStreamInfo(conn, name, Clock::now());
  if (!si)
    throw NatsError("stream " + name + " does not exist", int(NATS_NOT_FOUND),
                    int(JSStreamNotFoundErr));
  return si->State.LastSeq;
}

bool leaderHeardFromMajority(const jsClusterInfo* cluster, std::chrono::milliseconds bound) {
  if (cluster == nullptr || cluster->ReplicasLen == 0) return true;  // one replica: the leader
  const int64_t boundNs = std::chrono::nanoseconds(bound).count();
  const std::string_view leader = cluster->Leader != nullptr ? cluster->Leader : "";
  int heard = 1;  // the leader itself
  for (int i = 0; i < cluster->ReplicasLen; ++i) {
    const jsPeerInfo* peer = cluster->Replicas[i];
    if (peer == nullptr) continue;
    // The replicas listed are the answerer's peers: one of them named as the leader means a
    // replica that is not the leader answered (measured: a resumed old leader, as it steps down).
    if (peer->Name != nullptr && leader == peer->Name) return false;
    if (peer->Current && !peer->Offline && peer->Active < boundNs) ++heard;
  }
  return 2 * heard > cluster->ReplicasLen + 1;
}

std::optional<uint64_t> observeStreamEnd(const NatsConnection& conn, std::string_view streamName) {
  const std::string name(streamName);
  auto si = getStreamInfo(conn, name, Clock::now());
  if (!si)
    throw NatsError("stream " + name + " does not exist", int(NATS_NOT_FOUND),
                    int(JSStreamNotFoundErr));
  if (!leaderHeardFromMajority(si->Cluster, kLeaderContactBound)) return std::nullopt;
  return si->State.LastSeq;
}

}  // namespace pitlog::cluster
