// ClusterNode over NATS JetStream (cluster_node.h): the connection and the stream's safety at
// connect(), joinStream() and the JetStreamCommitLog at openLog(), and the freshness rule
// (freshness.h) fed by every observation the log makes of the stream.
#include "cluster/cluster_node.h"

#include "cluster/commit_stream.h"
#include "cluster/freshness.h"
#include "cluster/jetstream_commit_log.h"
#include "cluster/kv_console_session_store.h"
#include "cluster/kv_last_use_store.h"
#include "cluster/nats_connection.h"
#include "cluster/stream_join.h"

namespace pitlog::cluster {

namespace {

using Clock = std::chrono::steady_clock;

std::string joined(const std::vector<std::string>& urls) {
  std::string out;
  for (const auto& u : urls) out += (out.empty() ? "" : ",") + u;
  return out;
}

class JetStreamClusterNode : public ClusterNode {
 public:
  explicit JetStreamClusterNode(ClusterOptions options)
      : ClusterNode(std::move(options)),
        freshness_(std::make_shared<Freshness>(options_.maxStaleness, Clock::now())) {
    if (options_.urls.empty()) throw events::StoreError("--cluster names no NATS server");
    if (options_.replicas < 1 || options_.replicas > 5) {
      throw events::StoreError("--cluster-replicas must be 1 to 5, not " +
                               std::to_string(options_.replicas));
    }
    ConnectOptions c;
    c.urls = options_.urls;
    c.name = options_.nodeName;
    try {
      conn_ = std::make_unique<NatsConnection>(c);
    } catch (const NatsError& e) {
      throw events::StoreError("--cluster " + joined(options_.urls) + ": " + e.what());
    }
    StreamSettings s;
    s.name = options_.stream;
    s.replicas = options_.replicas;
    try {
      (void)ensureStream(*conn_, s);
    } catch (const UnsafeStreamError& e) {
      throw events::StoreError(std::string("--cluster-stream ") + options_.stream + ": " +
                               e.what() + "; pitd refuses to start on it");
    } catch (const NatsError& e) {
      throw events::StoreError("--cluster " + joined(options_.urls) + ": " + e.what());
    }
  }

  std::unique_ptr<commands::CommitLog> openLog(events::Store& store) override {
    JoinOptions join;
    join.stream = options_.stream;
    join.nodeName = options_.nodeName;
    join.progress = options_.progress;
    (void)joinStream(*conn_, store, join);
    // Where the stream stood once the node joined: the node is current once it has caught up.
    try {
      const auto askedAt = Clock::now();
      if (const auto last = observeStreamEnd(*conn_, options_.stream)) {
        freshness_->observe(*last, askedAt);
      }
    } catch (const NatsError&) {
      // Not observed: the follower's first poll will.
    }
    JetStreamLogOptions log;
    log.stream = options_.stream;
    log.observe = [f = freshness_](uint64_t last, Clock::time_point at) { f->observe(last, at); };
    log.progress = options_.progress;
    return std::make_unique<JetStreamCommitLog>(*conn_, std::move(log));
  }

  NatsConnection& connection() override { return *conn_; }

  std::unique_ptr<commands::LastUseStore> lastUseStore(events::Store& store, bool sync) override {
    LastUseBucketSettings bucket;
    bucket.bucket = options_.stream + "_LAST_USE";
    bucket.replicas = options_.replicas;
    return std::make_unique<KvLastUseStore>(*conn_, std::move(bucket), store, sync);
  }

  std::unique_ptr<server::http::ConsoleSessionStore> consoleSessionStore() override {
    ConsoleBucketSettings bucket;
    bucket.bucket = options_.stream + "_CONSOLE";
    bucket.replicas = options_.replicas;
    return std::make_unique<KvConsoleSessionStore>(*conn_, std::move(bucket));
  }

  ClusterStatus status(uint64_t appliedPosition) const override {
    ClusterStatus s;
    s.connected = conn_->connected();
    const FreshnessReading r = freshness_->read(appliedPosition, s.connected, Clock::now());
    s.streamPosition = r.streamPosition;
    s.lagMs = r.lagMs;
    s.fresh = r.fresh;
    s.reason = r.reason;
    return s;
  }

 private:
  // Shared with the log's observer, which the engine may hold a moment longer than the node.
  std::shared_ptr<Freshness> freshness_;
  std::unique_ptr<NatsConnection> conn_;
};

}  // namespace

std::unique_ptr<ClusterNode> ClusterNode::connect(const ClusterOptions& options) {
  return std::make_unique<JetStreamClusterNode>(options);
}

}  // namespace pitlog::cluster
