#include "server/metrics.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "server/log.h"

namespace pitlog::server {

namespace {

const std::vector<double> kLatencyBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                            0.05,   0.1,   0.25,   0.5,   1,    2.5, 5};
const std::vector<double> kBatchBounds = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
const std::vector<double> kWriteBounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                          0.01,   0.025,   0.05,   0.1,   0.25,   1};

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // The shortest of %.15g and %.17g that reads back as the same double: "0.1", not
  // "0.10000000000000001".
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  if (std::strtod(buf, nullptr) != v) std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void sample(std::string& out, const std::string& name, const std::string& labels, double v) {
  out += name;
  if (!labels.empty()) out += "{" + labels + "}";
  out += ' ';
  out += number(v);
  out += '\n';
}

const char* outcomeName(size_t i) {
  static const char* kNames[] = {"active", "scope_denied", "inactive"};
  return kNames[i];
}

}  // namespace

Histogram::Histogram(std::vector<double> upperBounds)
    : bounds_(std::move(upperBounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double value) {
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  ++counts_[i];
  sum_ += value;
  ++count_;
}

void Histogram::render(std::string& out, const std::string& name, const std::string& labels) const {
  const std::string prefix = labels.empty() ? "" : labels + ",";
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i];
    const double le = i < bounds_.size() ? bounds_[i] : INFINITY;
    sample(out, name + "_bucket", prefix + "le=\"" + number(le) + "\"",
           static_cast<double>(cumulative));
  }
  sample(out, name + "_sum", labels, sum_);
  sample(out, name + "_count", labels, static_cast<double>(count_));
}

Metrics::Metrics() : batchCommands_(kBatchBounds), writeSeconds_(kWriteBounds) {}

void Metrics::recordRequest(const std::string& route, const std::string& method, int status,
                            double seconds) {
  std::lock_guard lock(mu_);
  ++requests_[{route, method, status}];
  auto it = latency_.find(route);
  if (it == latency_.end()) it = latency_.emplace(route, Histogram(kLatencyBounds)).first;
  it->second.observe(seconds);
}

void Metrics::recordBatch(const commands::BatchStats& stats) {
  using commands::StorageTransition;
  if (stats.storage == StorageTransition::failed) {
    log::error("storage unavailable: commands are answered 503 until the data dir is writable "
               "again; introspection goes on from memory",
               {{"error", stats.storageMessage}});
  } else if (stats.storage == StorageTransition::recovered) {
    log::info("storage recovered: commands are written again", {{"detail", stats.storageMessage}});
  }
  if (stats.commands == 0) return;  // a storage report outside any batch
  std::lock_guard lock(mu_);
  ++batches_;
  if (stats.conflict) {
    ++commitConflicts_;  // not a failure: the batch's commands are decided again
  } else if (!stats.ok) {
    ++failedBatches_;
  }
  eventsAppended_ += stats.events;
  batchCommands_.observe(static_cast<double>(stats.commands));
  if (stats.events > 0) writeSeconds_.observe(static_cast<double>(stats.writeMicros) / 1e6);
}

void Metrics::recordIntrospection(IntrospectionOutcome outcome) {
  std::lock_guard lock(mu_);
  ++introspections_[static_cast<size_t>(outcome)];
}

void Metrics::recordClientAuthentication(const std::string& form, const std::string& clientId) {
  std::lock_guard<std::mutex> lock(mu_);
  const bool known = clientIds_.count(clientId) != 0;
  if (!known && clientIds_.size() < kMaxClientIds) clientIds_.insert(clientId);
  const bool counted = known || clientIds_.count(clientId) != 0;
  ++clients_[{form, counted ? clientId : std::string("_other")}];
}

std::string Metrics::render(const MetricsGauges& gauges) const {
  std::lock_guard lock(mu_);
  std::string out;
  header(out, "pitlog_http_requests_total", "counter",
         "HTTP requests answered, by route pattern, method and status.");
  for (const auto& [key, n] : requests_) {
    const auto& [route, method, status] = key;
    sample(out, "pitlog_http_requests_total",
           "route=\"" + route + "\",method=\"" + method + "\",status=\"" +
               std::to_string(status) + "\"",
           static_cast<double>(n));
  }
  header(out, "pitlog_http_request_duration_seconds", "histogram",
         "Time from a request's arrival to its answer, by route pattern.");
  for (const auto& [route, h] : latency_) {
    h.render(out, "pitlog_http_request_duration_seconds", "route=\"" + route + "\"");
  }
  header(out, "pitlog_events_appended_total", "counter", "Events appended to the log.");
  sample(out, "pitlog_events_appended_total", "", static_cast<double>(eventsAppended_));
  header(out, "pitlog_commit_batches_total", "counter",
         "Group commits run by the single writer, including those with nothing to write.");
  sample(out, "pitlog_commit_batches_total", "", static_cast<double>(batches_));
  header(out, "pitlog_commit_failures_total", "counter",
         "Group commits whose write failed; their commands were answered unavailable.");
  sample(out, "pitlog_commit_failures_total", "", static_cast<double>(failedBatches_));
  header(out, "pitlog_commit_batch_commands", "histogram", "Commands decided per group commit.");
  batchCommands_.render(out, "pitlog_commit_batch_commands", "");
  header(out, "pitlog_commit_write_seconds", "histogram",
         "Time of the RocksDB write (and fsync, when --sync) of a group commit that appended.");
  writeSeconds_.render(out, "pitlog_commit_write_seconds", "");
  header(out, "pitlog_introspections_total", "counter",
         "Token introspections by outcome: active, scope_denied (active but lacking the "
         "required scope) or inactive.");
  for (size_t i = 0; i < introspections_.size(); ++i) {
    sample(out, "pitlog_introspections_total", std::string("outcome=\"") + outcomeName(i) + "\"",
           static_cast<double>(introspections_[i]));
  }
  if (!clients_.empty()) {
    header(out, "pitlog_http_client_authentications_total", "counter",
           "Requests authenticated by the service key as an OAuth client secret, by credential "
           "form (basic, form) and client id (ids past the first 100 count as _other).");
    for (const auto& [key, count] : clients_) {
      // Client ids match ^[A-Za-z0-9._:-]{1,64}$: nothing to escape in a label value.
      sample(out, "pitlog_http_client_authentications_total",
             "form=\"" + key.first + "\",client_id=\"" + key.second + "\"",
             static_cast<double>(count));
    }
  }
  header(out, "pitlog_tokens_in_memory", "gauge",
         "Tokens in the in-memory token view (current and previous).");
  sample(out, "pitlog_tokens_in_memory", "", static_cast<double>(gauges.tokensInMemory));
  header(out, "pitlog_log_last_sequence", "gauge", "Sequence number of the last committed event.");
  sample(out, "pitlog_log_last_sequence", "", static_cast<double>(gauges.lastSequence));
  header(out, "pitlog_storage_writable", "gauge",
         "1 when commands can be written; 0 while the data dir is full or read-only (commands "
         "answer 503, introspection goes on).");
  sample(out, "pitlog_storage_writable", "", gauges.storageWritable ? 1 : 0);
  header(out, "pitlog_storage_failures_total", "counter",
         "Storage fault episodes (writes stopped until pitd recovered by itself) since start.");
  sample(out, "pitlog_storage_failures_total", "", static_cast<double>(gauges.storageFailures));
  header(out, "pitlog_storage_memory_bytes", "gauge",
         "RocksDB's memory by part: budget (--storage-memory), cache (the block cache's charge, "
         "the memtables' reservations included), memtables, table_readers (outside the cache).");
  const std::pair<const char*, uint64_t> parts[] = {
      {"budget", gauges.storageMemory.budget},
      {"cache", gauges.storageMemory.cache},
      {"memtables", gauges.storageMemory.memtables},
      {"table_readers", gauges.storageMemory.tableReaders}};
  for (const auto& [part, bytes] : parts) {
    sample(out, "pitlog_storage_memory_bytes", std::string("part=\"") + part + "\"",
           static_cast<double>(bytes));
  }
  if (const auto& c = gauges.cluster) {
    // Node names are 1-64 of [A-Za-z0-9._-] (config.cpp): nothing to escape in a label value.
    const std::string node = "node=\"" + c->node + "\"";
    header(out, "pitlog_cluster_position", "gauge",
           "Cluster mode: sequence number of the last event this node applied from the stream.");
    sample(out, "pitlog_cluster_position", node, static_cast<double>(c->position));
    header(out, "pitlog_cluster_lag_seconds", "gauge",
           "Cluster mode: how long ago this node was last known to hold everything the stream "
           "held; past --max-staleness it answers introspection and mutations 503.");
    sample(out, "pitlog_cluster_lag_seconds", node, c->lagSeconds);
    header(out, "pitlog_cluster_commit_conflicts_total", "counter",
           "Cluster mode: commits that lost the race for the stream's next position to another "
           "node; their commands were decided again.");
    sample(out, "pitlog_cluster_commit_conflicts_total", node,
           static_cast<double>(commitConflicts_));
    header(out, "pitlog_cluster_connected", "gauge",
           "Cluster mode: 1 while this node is connected to a NATS server, else 0.");
    sample(out, "pitlog_cluster_connected", node, c->connected ? 1 : 0);
  }
  if (const auto& w = gauges.webhooks) {
    header(out, "pitlog_webhook_attempts_total", "counter",
           "Webhook delivery attempts since start, by outcome: delivered (a 2xx), failed (retried "
           "later or given up).");
    sample(out, "pitlog_webhook_attempts_total", "outcome=\"delivered\"",
           static_cast<double>(w->delivered));
    sample(out, "pitlog_webhook_attempts_total", "outcome=\"failed\"",
           static_cast<double>(w->failed));
    header(out, "pitlog_webhook_messages_given_up_total", "counter",
           "Webhook messages given up after 24 hours of retries (the next message followed).");
    sample(out, "pitlog_webhook_messages_given_up_total", "", static_cast<double>(w->gaveUp));
  }
  // One sample per port ("http", "rpc") of each connection metric.
  auto perPort = [&](const char* name, const char* type, const char* help, auto value) {
    header(out, name, type, help);
    for (const auto& [protocol, port] : ports_) {
      sample(out, name, "protocol=\"" + protocol + "\"", static_cast<double>(value(port)));
    }
  };
  perPort("pitlog_connections_open", "gauge", "Connections open, by port.",
          [](const Port& p) { return p.open; });
  perPort("pitlog_connections_refused_total", "counter",
          "Connections closed at once because the port held --max-connections already.",
          [](const Port& p) { return p.refused; });
  perPort("pitlog_accept_failures_total", "counter",
          "Failed accepts (e.g. no file descriptor left), each retried after a back-off.",
          [](const Port& p) { return p.acceptFailures; });
  perPort("pitlog_listener_accepting", "gauge",
          "1 while the port accepts connections; 0 while its accepts fail.",
          [](const Port& p) { return p.loopsFailing == 0 ? 1 : 0; });
  return out;
}

void Metrics::setOpenConnections(const std::string& protocol, const std::atomic<size_t>& open) {
  std::lock_guard lock(mu_);
  ports_[protocol].open = open.load();
}

void Metrics::recordConnectionRefused(const std::string& protocol) {
  std::lock_guard lock(mu_);
  ++ports_[protocol].refused;
}

void Metrics::recordAcceptFailure(const std::string& protocol) {
  std::lock_guard lock(mu_);
  ++ports_[protocol].acceptFailures;
}

void Metrics::setListenerAccepting(const std::string& protocol, bool accepting) {
  std::lock_guard lock(mu_);
  size_t& failing = ports_[protocol].loopsFailing;
  if (!accepting) {
    ++failing;
  } else if (failing > 0) {
    --failing;
  }
}

std::vector<std::string> Metrics::listenersNotAccepting() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [protocol, port] : ports_) {
    if (port.loopsFailing > 0) out.push_back(protocol);
  }
  return out;
}

}  // namespace pitlog::server
