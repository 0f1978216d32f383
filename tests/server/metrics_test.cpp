// The /metrics page: Prometheus text format as `promtool check metrics` reads it.
#include <catch2/catch.hpp>

#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "server/metrics.h"

using pitlog::server::IntrospectionOutcome;
using pitlog::server::Metrics;

namespace {

// The checks promtool makes on the exposition format that this page could break: every sample
// belongs to a family declared by HELP and TYPE before it, names and labels are well formed,
// histograms have cumulative buckets ending in +Inf equal to _count.
void checkExposition(const std::string& page) {
  static const std::regex kSample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (\S+)$)");
  std::map<std::string, std::string> types;
  std::set<std::string> helps;
  std::map<std::string, double> lastBucket;  // per histogram series (name + labels without le)
  std::istringstream in(page);
  std::string line;
  while (std::getline(in, line)) {
    INFO(line);
    if (line.rfind("# HELP ", 0) == 0) {
      helps.insert(line.substr(7, line.find(' ', 7) - 7));
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      auto rest = line.substr(7);
      auto space = rest.find(' ');
      types[rest.substr(0, space)] = rest.substr(space + 1);
      continue;
    }
    std::smatch m;
    REQUIRE(std::regex_match(line, m, kSample));
    std::string name = m[1];
    std::string family = name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      std::string s(suffix);
      if (family.size() > s.size() && family.compare(family.size() - s.size(), s.size(), s) == 0 &&
          types.count(family.substr(0, family.size() - s.size())) &&
          types[family.substr(0, family.size() - s.size())] == "histogram") {
        family = family.substr(0, family.size() - s.size());
      }
    }
    REQUIRE(types.count(family));
    REQUIRE(helps.count(family));
    double value = std::stod(m[4]);
    if (types[family] == "histogram" && name == family + "_bucket") {
      std::string labels = m[2];
      std::string series = family + std::regex_replace(labels, std::regex(R"(,?le="[^"]*")"), "");
      CHECK(value >= lastBucket[series]);
      lastBucket[series] = value;
    }
  }
}

}  // namespace

TEST_CASE("metrics: a fresh page is valid exposition format") {
  Metrics metrics;
  checkExposition(metrics.render({0, 0}));
}

TEST_CASE("metrics: requests / batches and introspections are counted") {
  Metrics metrics;
  metrics.recordRequest("/v1/scopes", "GET", 200, 0.0004);
  metrics.recordRequest("/v1/scopes", "GET", 200, 0.3);
  metrics.recordRequest("/v1/accounts/{a}/integrations", "POST", 201, 0.002);
  pitlog::commands::BatchStats batch;
  batch.commands = 3;
  batch.events = 4;
  batch.writeMicros = 1500;
  metrics.recordBatch(batch);
  metrics.recordIntrospection(IntrospectionOutcome::active);
  metrics.recordIntrospection(IntrospectionOutcome::inactive);
  metrics.recordIntrospection(IntrospectionOutcome::inactive);
  const std::string page = metrics.render({5, 42});
  checkExposition(page);
  auto has = [&](const std::string& line) { return page.find(line + "\n") != std::string::npos; };
  CHECK(has(R"(pitlog_http_requests_total{route="/v1/scopes",method="GET",status="200"} 2)"));
  CHECK(has(R"(pitlog_http_request_duration_seconds_bucket{route="/v1/scopes",le="0.0005"} 1)"));
  CHECK(has(R"(pitlog_http_request_duration_seconds_bucket{route="/v1/scopes",le="+Inf"} 2)"));
  CHECK(has(R"(pitlog_http_request_duration_seconds_count{route="/v1/scopes"} 2)"));
  CHECK(has("pitlog_events_appended_total 4"));
  CHECK(has(R"(pitlog_commit_batch_commands_bucket{le="4"} 1)"));
  CHECK(has("pitlog_commit_write_seconds_sum 0.0015"));
  CHECK(has(R"(pitlog_introspections_total{outcome="inactive"} 2)"));
  CHECK(has("pitlog_tokens_in_memory 5"));
  CHECK(has("pitlog_log_last_sequence 42"));
}

TEST_CASE("metrics: a single node shows no cluster metrics") {
  Metrics metrics;
  const std::string page = metrics.render({0, 0});
  CHECK(page.find("pitlog_cluster_") == std::string::npos);
}

TEST_CASE("metrics: a cluster node shows its position, lag, conflicts and connection, labelled") {
  Metrics metrics;
  pitlog::commands::BatchStats lost;
  lost.commands = 2;
  lost.ok = false;
  lost.conflict = true;
  metrics.recordBatch(lost);
  metrics.recordBatch(lost);
  pitlog::server::MetricsGauges gauges;
  gauges.lastSequence = 17;
  gauges.cluster = pitlog::server::ClusterGauges{"node-a", 17, 0.25, true};
  const std::string page = metrics.render(gauges);
  checkExposition(page);
  auto has = [&](const std::string& line) { return page.find(line + "\n") != std::string::npos; };
  CHECK(has(R"(pitlog_cluster_position{node="node-a"} 17)"));
  CHECK(has(R"(pitlog_cluster_lag_seconds{node="node-a"} 0.25)"));
  CHECK(has(R"(pitlog_cluster_commit_conflicts_total{node="node-a"} 2)"));
  CHECK(has(R"(pitlog_cluster_connected{node="node-a"} 1)"));
  // A lost race is decided again, not a failed commit.
  CHECK(has("pitlog_commit_failures_total 0"));
}

TEST_CASE("metrics: RocksDB's memory is shown by part against its budget") {
  Metrics metrics;
  pitlog::server::MetricsGauges gauges;
  gauges.storageMemory = {32 << 20, 9 << 20, 6 << 20, 4096};
  const std::string page = metrics.render(gauges);
  checkExposition(page);
  auto has = [&](const std::string& line) { return page.find(line + "\n") != std::string::npos; };
  CHECK(has(R"(pitlog_storage_memory_bytes{part="budget"} 33554432)"));
  CHECK(has(R"(pitlog_storage_memory_bytes{part="cache"} 9437184)"));
  CHECK(has(R"(pitlog_storage_memory_bytes{part="memtables"} 6291456)"));
  CHECK(has(R"(pitlog_storage_memory_bytes{part="table_readers"} 4096)"));
}
