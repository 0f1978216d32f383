#pragma once
// pitd's metrics in the Prometheus text exposition format (version 0.0.4): counters, gauges and
// histograms with HELP and TYPE lines, histograms as cumulative _bucket{le} series plus _sum
// and _count, so that `promtool check metrics` accepts the page.
//
// Thread-safety: every method may be called from any thread (the HTTP loop records requests,
// the engine's writer thread records batches); one mutex guards the numbers.
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "commands/engine.h"

namespace pitlog::server {

class Histogram {
 public:
  explicit Histogram(std::vector<double> upperBounds);
  void observe(double value);
  // Appends the _bucket, _sum and _count lines; `labels` is "" or `k="v",...` without braces.
  void render(std::string& out, const std::string& name, const std::string& labels) const;

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // per bucket, not cumulative; the last is +Inf
  double sum_ = 0;
  uint64_t count_ = 0;
};

enum class IntrospectionOutcome { active, scopeDenied, inactive };

// A cluster node's gauges (API.md "Cluster mode"), labelled with its name.
struct ClusterGauges {
  std::string node;
  uint64_t position = 0;  // the seq of the last event the node applied
  double lagSeconds = 0;
  bool connected = false;
};

// The webhook delivery worker's attempts since start, by outcome (a single node's worker).
struct WebhookAttemptCounts {
  uint64_t delivered = 0;  // a 2xx came back
  uint64_t failed = 0;     // anything else; retried later, or given up
  uint64_t gaveUp = 0;     // failures after which the message was given up
};

// RocksDB's memory against its budget (events::Store::MemoryUsage), in bytes.
struct StorageMemoryGauges {
  uint64_t budget = 0;
  uint64_t cache = 0;         // the block cache's charge, the memtables' reservations included
  uint64_t memtables = 0;
  uint64_t tableReaders = 0;  // index and filter blocks outside the cache
};

// Values read at scrape time rather than pushed.
struct MetricsGauges {
  size_t tokensInMemory = 0;
  uint64_t lastSequence = 0;
  bool storageWritable = true;   // Engine::storageHealth()
  uint64_t storageFailures = 0;  // fault episodes since start
  std::optional<ClusterGauges> cluster = std::nullopt;  // cluster mode only
  std::optional<WebhookAttemptCounts> webhooks = std::nullopt;  // while a worker delivers
  StorageMemoryGauges storageMemory = {};
};

class Metrics {
 public:
  Metrics();

  // One answered HTTP request: `route` is its pattern ("/v1/accounts/{a}/integrations"), never
  // the concrete path, so that the label set stays bounded.
  void recordRequest(const std::string& route, const std::string& method, int status,
                     double seconds);
  // One group commit of the engine (EngineOptions::onBatch). A report of a storage fault episode
  // starting or ending (stats.storage) is logged here, once per transition: this is the one
  // observer of the writer that pitd wires, and the engine's layer has no log.
  void recordBatch(const commands::BatchStats& stats);
  void recordIntrospection(IntrospectionOutcome outcome);
  // One request authenticated by the service key as an OAuth client secret: `form` is "basic" or
  // "form", `clientId` a valid id. Client ids are chosen by key holders, so at most
  // kMaxClientIds distinct ones get their own series; later ones are counted as "_other".
  static constexpr size_t kMaxClientIds = 100;
  void recordClientAuthentication(const std::string& form, const std::string& clientId);

  // The connections of one port ("http", "rpc"), from its accept loop (accept_loop.h).
  // `open`: the port's count, shared by its accept loops; read here, under the lock, after each
  // change, so that the gauge ends at the latest value whichever loop changed it last.
  void setOpenConnections(const std::string& protocol, const std::atomic<size_t>& open);
  void recordConnectionRefused(const std::string& protocol);
  void recordAcceptFailure(const std::string& protocol);
  // One accept loop of the port starts (false) or stops (true) failing to accept; the port
  // accepts while none of its loops fails.
  void setListenerAccepting(const std::string& protocol, bool accepting);
  // The ports whose accepts are failing at this moment (descriptors exhausted...), for /healthz.
  std::vector<std::string> listenersNotAccepting() const;

  std::string render(const MetricsGauges& gauges) const;

 private:
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;  // GUARDED_BY(mu_)
  std::map<std::string, Histogram> latency_;                                 // GUARDED_BY(mu_)
  uint64_t eventsAppended_ = 0;                                              // GUARDED_BY(mu_)
  uint64_t batches_ = 0, failedBatches_ = 0;                                 // GUARDED_BY(mu_)
  uint64_t commitConflicts_ = 0;                                             // GUARDED_BY(mu_)
  Histogram batchCommands_;                                                  // GUARDED_BY(mu_)
  Histogram writeSeconds_;                                                   // GUARDED_BY(mu_)
  std::array<uint64_t, 3> introspections_{};                                 // GUARDED_BY(mu_)
  std::map<std::pair<std::string, std::string>, uint64_t> clients_;          // GUARDED_BY(mu_)
  std::set<std::string> clientIds_;                                          // GUARDED_BY(mu_)
  struct Port {
    size_t open = 0;
    uint64_t refused = 0, acceptFailures = 0;
    size_t loopsFailing = 0;  // accept loops of the port whose accepts fail now
  };
  std::map<std::string, Port> ports_;                                        // GUARDED_BY(mu_)
};

}  // namespace pitlog::server
