#pragma once
// One pitd node's membership of a cluster (API.md "Cluster mode"): the NATS connection, the
// stream's safety, joining the stream with the node's data dir (migration of a single-node log,
// refusal of a differing history), the replicated log the engine writes through, and the node's
// freshness. pitd's main makes one ClusterNode when --cluster is given and nothing otherwise, so
// single-node mode has no cluster code on any path.
//
// Freshness: the node is fresh while it is known to have applied everything the stream held at
// some moment no longer ago than maxStaleness. The log's follower observes the stream's last
// sequence L at time t (every poll, even an empty one); once the node's applied position reaches
// L, t is the moment it is known current as of. A cut-off node thus turns stale maxStaleness after
// the last time it was current, and is fresh again only once it caught up with what the stream
// held after it came back - never merely because the connection returned. Only answers from a
// leader that recently heard from a majority count as observations (observeStreamEnd): a resumed
// old leader answers from its old state for a moment.
//
// Thread-safety: status() from any thread; the rest from main's thread at start.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "commands/commit_log.h"
#include "commands/last_use_store.h"
#include "events/store.h"
#include "server/http/console_session_store.h"

namespace pitlog::cluster {

class NatsConnection;

struct ClusterOptions {
  std::vector<std::string> urls;  // --cluster, split at commas: nats://host:port
  std::string stream = "PITLOG";  // --cluster-stream
  int replicas = 3;               // --cluster-replicas, 1..5, used when the stream is created
  std::string nodeName;           // --node-name
  std::chrono::milliseconds maxStaleness{5000};  // --max-staleness
  // Progress of a long start (migration, catch-up) for pitd's log: a message and its fields.
  std::function<void(const std::string& message, uint64_t done, uint64_t total)> progress;
};

struct ClusterStatus {
  bool connected = false;       // to a NATS server now
  uint64_t streamPosition = 0;  // the stream's last sequence, as last observed
  // How long ago the node was last known to hold all the stream had (see Freshness); grows
  // while the node is cut off or behind.
  int64_t lagMs = 0;
  bool fresh = false;  // lagMs <= maxStaleness
  std::string reason;  // when not fresh: why, for /healthz ("not connected to the stream", ...)
};

class ClusterNode {
 public:
  // Connects to the URLs and creates the stream when missing (file storage, the replicas asked
  // for, no limits, deletes and purges denied). Throws events::StoreError with a message for a
  // person when no server answers, or when the existing stream could lose history (naming the
  // setting).
  static std::unique_ptr<ClusterNode> connect(const ClusterOptions& options);
  virtual ~ClusterNode() = default;

  // For EngineOptions::log, called once with the node's open store before the engine loads its
  // views. Joins the stream: a store whose log is single-node (no stream position recorded) is
  // published into an empty stream (same events, seqs and hashes) before this returns; a stream
  // whose history differs from the store's log throws events::StoreError naming the first
  // differing seq; a store that is ahead of the stream (the stream lost history) throws too.
  // Returns the replicated log the engine writes through and follows; it uses the node's
  // connection, so the engine that owns it must be destroyed before the node. The store is not
  // const: joining records the stream position the data dir has reached in its meta.
  virtual std::unique_ptr<commands::CommitLog> openLog(events::Store& store) = 0;

  // For EngineOptions::lastUseStore: tokens' last use merged across the nodes through the
  // key-value bucket "<stream>_LAST_USE" (kv_last_use_store.h), beside the store's own last_use
  // family (written with `sync`). Like the log, it uses the node's connection.
  virtual std::unique_ptr<commands::LastUseStore> lastUseStore(events::Store& store,
                                                               bool sync) = 0;

  // For ApiService::setConsoleSessionStore: the console's sign-in links and sessions shared by
  // the nodes through the key-value bucket "<stream>_CONSOLE" (kv_console_session_store.h), so
  // that a link issued by one node signs in on any and a session holds on every node. Uses the
  // node's connection: the store must be destroyed before the node.
  virtual std::unique_ptr<server::http::ConsoleSessionStore> consoleSessionStore() = 0;

  // The node's connection, for what keeps shared state in buckets above this layer (webhook
  // delivery leases, server/webhooks/kv_delivery_lease.h). Lives as long as the node.
  virtual NatsConnection& connection() = 0;

  // `appliedPosition`: the engine's applied log position (Engine::appliedPosition()).
  virtual ClusterStatus status(uint64_t appliedPosition) const = 0;
  const ClusterOptions& options() const { return options_; }

 protected:
  explicit ClusterNode(ClusterOptions options) : options_(std::move(options)) {}
  ClusterOptions options_;
};

}  // namespace pitlog::cluster
