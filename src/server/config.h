#pragma once
// pitd's configuration: every option comes from a flag, a PITLOG_* environment variable or the
// config file named by --config, in that order of precedence (flag > env > file). Parsing never
// exits the process: it returns what main should do, so tests can drive it with argv arrays.
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace pitlog::server {

// "HOST:PORT"; port 0 asks the kernel for a free port.
struct Endpoint {
  std::string host;  // as written: "127.0.0.1", "localhost", "[::1]", "*"
  uint16_t port = 0;
  std::string text() const { return host + ":" + std::to_string(port); }
};

enum class LogFormat { text, json };

// Cluster mode (API.md "Cluster mode"): present only with --cluster; every other cluster option
// needs it, so that a node never believes it is clustered when it is not.
struct ClusterConfig {
  std::vector<std::string> urls;  // nats://HOST:PORT, in the order given
  std::string stream = "PITLOG";
  int replicas = 3;               // 1..5, used when pitd creates the stream
  std::string nodeName;           // default: the host name
  int64_t maxStalenessMs = 5000;
};

struct Config {
  std::string dataDir;
  Endpoint http{"127.0.0.1", 8080};
  std::optional<Endpoint> rpc = Endpoint{"127.0.0.1", 8081};  // nullopt: --rpc off
  std::optional<std::string> serviceKeysFile;  // nullopt: <data>/service.key, created if absent
  std::optional<std::string> scopesFile;       // nullopt: the built-in catalogue
  // The Ed25519 key that signs the log's checkpoints. nullopt: <data>/log-signing.key, created
  // with mode 0600 at first start.
  std::optional<std::string> logSigningKeyFile;
  // TLS on both listeners (HTTP and RPC) when set: PEM certificate chain and unencrypted PEM
  // private key. Both or neither, which parseConfig enforces; their contents are checked at start.
  std::optional<std::string> tlsCertFile;
  std::optional<std::string> tlsKeyFile;
  int64_t rotationWindowMs = 7LL * 24 * 3600 * 1000;
  bool sync = true;
  // RocksDB's memory budget: block cache and memtables together (events::Store::Options).
  size_t storageMemoryBytes = 32 << 20;
  // Event loops serving the HTTP port (each its own thread and connections); 0: one per core.
  size_t httpThreads = 0;
  // Connection limits, per port (connection_limits.h).
  size_t maxConnections = 1000;
  int64_t idleTimeoutMs = 60'000;   // an RPC session with no message either way
  int64_t writeTimeoutMs = 30'000;  // a peer that takes no bytes of its answers
  std::string logLevel = "info";  // trace, debug, info, warn, error, critical, off
  LogFormat logFormat = LogFormat::text;
  std::optional<ClusterConfig> cluster;  // nullopt: single node, nothing cluster-related runs
  // Webhooks (API.md "Token hygiene"). The master key every subscription's signing secret is
  // derived from; nullopt: <data>/webhook.key, created with mode 0600 at first start.
  std::optional<std::string> webhookKeyFile;
  bool webhooksAllowPrivate = false;  // http and private addresses as targets (tests, intranets)
  int64_t rotationDueMs = 90LL * 24 * 3600 * 1000;  // rotation.due: the current token's age
  // Test only: the retry schedule's delays are multiplied by this (1 in production), so that a
  // test sees a day of retries in seconds.
  double webhookRetryScaleForTests = 1.0;
};

struct ConfigOutcome {
  enum class Action { run, exit };
  Action action = Action::run;
  int exitCode = 0;  // for Action::exit: 0 after --help, 2 after a bad option
  Config config;
};

// Parses argv, the PITLOG_* variables of the environment and the config file. --help prints the
// usage to `out`; a bad option prints one line naming it to `err`.
ConfigOutcome parseConfig(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

// "HOST:PORT" with a numeric port; nullopt when malformed.
std::optional<Endpoint> parseEndpoint(const std::string& text);

}  // namespace pitlog::server
