// pitd's configuration: flags, PITLOG_* variables and the config file, with flag > env > file,
// and a clear message with exit status 2 for every bad value.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "server/config.h"
#include "support/temp_dir.h"

using pitlog::server::ConfigOutcome;
using pitlog::server::LogFormat;
using pitlog::server::parseConfig;
using pitlog::server::parseEndpoint;

namespace {

struct Parsed {
  ConfigOutcome outcome;
  std::string out, err;
};

Parsed parse(std::vector<std::string> args) {
  args.insert(args.begin(), "pitd");
  std::vector<const char*> argv;
  for (auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  Parsed p{parseConfig(static_cast<int>(argv.size()), argv.data(), out, err), "", ""};
  p.out = out.str();
  p.err = err.str();
  return p;
}

// Sets a variable for the scope of a test.
class EnvVar {
 public:
  EnvVar(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~EnvVar() { ::unsetenv(name_); }

 private:
  const char* name_;
};

}  // namespace

TEST_CASE("config: defaults") {
  auto p = parse({"--data", "/tmp/x"});
  REQUIRE(p.outcome.action == ConfigOutcome::Action::run);
  const auto& c = p.outcome.config;
  CHECK(c.dataDir == "/tmp/x");
  CHECK(c.http.text() == "127.0.0.1:8080");
  REQUIRE(c.rpc);
  CHECK(c.rpc->text() == "127.0.0.1:8081");
  CHECK_FALSE(c.serviceKeysFile);
  CHECK_FALSE(c.scopesFile);
  CHECK(c.rotationWindowMs == 7LL * 24 * 3600 * 1000);
  CHECK(c.sync);
  CHECK(c.logLevel == "info");
  CHECK(c.logFormat == LogFormat::text);
}

TEST_CASE("config: every flag") {
  auto p = parse({"--data", "d", "--http", "0.0.0.0:0", "--rpc", "off", "--service-keys", "k",
                  "--scopes", "s", "--rotation-window", "36h", "--sync", "false", "--log-level",
                  "debug", "--log-format", "json"});
  REQUIRE(p.outcome.action == ConfigOutcome::Action::run);
  const auto& c = p.outcome.config;
  CHECK(c.http.host == "0.0.0.0");
  CHECK(c.http.port == 0);
  CHECK_FALSE(c.rpc);
  CHECK(c.serviceKeysFile == "k");
  CHECK(c.scopesFile == "s");
  CHECK(c.rotationWindowMs == 36LL * 3600 * 1000);
  CHECK_FALSE(c.sync);
  CHECK(c.logLevel == "debug");
  CHECK(c.logFormat == LogFormat::json);
}

TEST_CASE("config: --help prints every option with examples and exits 0") {
  auto p = parse({"--help"});
  CHECK(p.outcome.action == ConfigOutcome::Action::exit);
  CHECK(p.outcome.exitCode == 0);
  for (const char* option : {"--data", "--http", "--rpc", "--service-keys", "--scopes",
                             "--rotation-window", "--sync", "--log-level", "--log-format",
                             "--config", "--help", "Examples", "PITLOG_"}) {
    INFO(option);
    CHECK(p.out.find(option) != std::string::npos);
  }
}

TEST_CASE("config: bad values exit 2 naming the option") {
  struct Case {
    std::vector<std::string> args;
    const char* mentions;
  };
  for (const auto& c : std::vector<Case>{
           {{}, "--data"},
           {{"--data", "d", "--http", "localhost"}, "--http"},
           {{"--data", "d", "--http", "127.0.0.1:70000"}, "--http"},
           {{"--data", "d", "--http", "::1:80"}, "--http"},
           {{"--data", "d", "--rpc", "on"}, "--rpc"},
           {{"--data", "d", "--rotation-window", "0s"}, "--rotation-window"},
           {{"--data", "d", "--rotation-window", "7 days"}, "--rotation-window"},
           {{"--data", "d", "--sync", "maybe"}, "--sync"},
           {{"--data", "d", "--log-level", "loud"}, "--log-level"},
           {{"--data", "d", "--log-format", "xml"}, "--log-format"},
           {{"--data", "d", "--bogus"}, "bogus"},
           {{"--data", "d", "extra"}, ""},
           {{"--data", "d", "--config", "/nonexistent/pitd.conf"}, "--config"},
       }) {
    auto p = parse(c.args);
    INFO(p.err);
    CHECK(p.outcome.action == ConfigOutcome::Action::exit);
    CHECK(p.outcome.exitCode == 2);
    CHECK(p.err.find(c.mentions) != std::string::npos);
    CHECK(p.err.find("--help") != std::string::npos);
  }
}

TEST_CASE("config: flag beats PITLOG_star beats the config file") {
  pitlog::testing::TempDir dir("pitd-config");
  const std::string file = dir.sub("pitd.conf");
  {
    std::ofstream f(file);
    f << "# pitd configuration\n"
         "data = /from/file\n"
         "http = 127.0.0.1:1111\n"
         "rotation-window = 1d\n"
         "log-level = warn\n"
         "sync = false\n";
  }
  {
    auto p = parse({"--config", file});
    REQUIRE(p.outcome.action == ConfigOutcome::Action::run);
    CHECK(p.outcome.config.dataDir == "/from/file");
    CHECK(p.outcome.config.http.port == 1111);
    CHECK(p.outcome.config.rotationWindowMs == 24LL * 3600 * 1000);
    CHECK_FALSE(p.outcome.config.sync);
  }
  EnvVar http("PITLOG_HTTP", "127.0.0.1:2222");
  EnvVar window("PITLOG_ROTATION_WINDOW", "90m");
  EnvVar unrelated("PITLOG_NOT_AN_OPTION", "ignored");
  {
    auto p = parse({"--config", file});
    REQUIRE(p.outcome.action == ConfigOutcome::Action::run);
    CHECK(p.outcome.config.dataDir == "/from/file");
    CHECK(p.outcome.config.http.port == 2222);
    CHECK(p.outcome.config.rotationWindowMs == 90LL * 60 * 1000);
    CHECK(p.outcome.config.logLevel == "warn");
  }
  {
    auto p = parse({"--config", file, "--http", "127.0.0.1:3333", "--data", "/from/flag"});
    REQUIRE(p.outcome.action == ConfigOutcome::Action::run);
    CHECK(p.outcome.config.dataDir == "/from/flag");
    CHECK(p.outcome.config.http.port == 3333);
    CHECK(p.outcome.config.rotationWindowMs == 90LL * 60 * 1000);
  }
  {
    EnvVar config("PITLOG_CONFIG", file.c_str());
    auto p = parse({});
    REQUIRE(p.outcome.action == ConfigOutcome::Action::run);
    CHECK(p.outcome.config.dataDir == "/from/file");
  }
}

TEST_CASE("config: a bad value in the environment or the file is as bad as a flag") {
  {
    EnvVar sync("PITLOG_SYNC", "sometimes");
    auto p = parse({"--data", "d"});
    CHECK(p.outcome.exitCode == 2);
    CHECK(p.err.find("--sync") != std::string::npos);
  }
  pitlog::testing::TempDir dir("pitd-config");
  const std::string file = dir.sub("bad.conf");
  std::ofstream(file) << "data = d\nunknown-option = 1\n";
  auto p = parse({"--config", file});
  CHECK(p.outcome.exitCode == 2);
}

// Boost.Program_options expands %placeholders% in its error messages with the offending text and
// never stops when that text holds a placeholder; fuzz_config found it. These must end, exit 2.
TEST_CASE("config: option names holding Boost's %placeholders% are refused, not expanded") {
  pitlog::testing::TempDir dir("pitd-config");
  const std::string file = dir.sub("placeholder.conf");
  std::ofstream(file) << "http = [::1]:0\nrotationoption '%canonical_option%'-window = 2s\n";
  auto fromFile = parse({"--data", "d", "--config", file});
  CHECK(fromFile.outcome.exitCode == 2);
  CHECK(fromFile.err.find("line 2") != std::string::npos);
  const std::string noEquals = dir.sub("invalid-line.conf");
  std::ofstream(noEquals) << "%invalid_line%\n";
  CHECK(parse({"--data", "d", "--config", noEquals}).outcome.exitCode == 2);
  for (std::string flag : {"--%canonical_option%", "--x%option%=1", "--%value%"}) {
    INFO(flag);
    auto p = parse({"--data", "d", flag});
    CHECK(p.outcome.exitCode == 2);
  }
  // A '%' in a value is the value's business (pitd checks every value itself).
  auto value = parse({"--data", "/tmp/100%"});
  CHECK(value.outcome.action == ConfigOutcome::Action::run);
}

TEST_CASE("parseEndpoint") {
  CHECK(parseEndpoint("127.0.0.1:0")->port == 0);
  CHECK(parseEndpoint("[::1]:8080")->host == "[::1]");
  CHECK(parseEndpoint("*:80")->host == "*");
  CHECK_FALSE(parseEndpoint(":80"));
  CHECK_FALSE(parseEndpoint("host:"));
  CHECK_FALSE(parseEndpoint("host:-1"));
  CHECK_FALSE(parseEndpoint("ho st:1"));
}

TEST_CASE("config: --tls-cert and --tls-key, both or neither") {
  auto none = parse({"--data", "/tmp/x"});
  REQUIRE(none.outcome.action == ConfigOutcome::Action::run);
  CHECK_FALSE(none.outcome.config.tlsCertFile);
  CHECK_FALSE(none.outcome.config.tlsKeyFile);

  auto both = parse({"--data", "/tmp/x", "--tls-cert", "/etc/c.pem", "--tls-key", "/etc/k.pem"});
  REQUIRE(both.outcome.action == ConfigOutcome::Action::run);
  CHECK(both.outcome.config.tlsCertFile == std::optional<std::string>("/etc/c.pem"));
  CHECK(both.outcome.config.tlsKeyFile == std::optional<std::string>("/etc/k.pem"));

  {  // from the environment and the config file too, with the usual precedence
    pitlog::testing::TempDir dir("pitd-config-tls");
    const std::string file = dir.sub("pitd.conf");
    std::ofstream(file) << "tls-cert = /file/c.pem\ntls-key = /file/k.pem\n";
    EnvVar key("PITLOG_TLS_KEY", "/env/k.pem");
    auto mixed = parse({"--data", "/tmp/x", "--config", file, "--tls-cert", "/flag/c.pem"});
    REQUIRE(mixed.outcome.action == ConfigOutcome::Action::run);
    CHECK(*mixed.outcome.config.tlsCertFile == "/flag/c.pem");
    CHECK(*mixed.outcome.config.tlsKeyFile == "/env/k.pem");
  }

  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--data", "/tmp/x", "--tls-cert", "/etc/c.pem"},
           {"--data", "/tmp/x", "--tls-key", "/etc/k.pem"},
           {"--data", "/tmp/x", "--tls-cert", "", "--tls-key", "/etc/k.pem"}}) {
    auto p = parse(args);
    CHECK(p.outcome.action == ConfigOutcome::Action::exit);
    CHECK(p.outcome.exitCode == 2);
    CHECK(p.err.find("--tls-") != std::string::npos);
  }
  CHECK(parse({"--data", "/tmp/x", "--tls-cert", "/etc/c.pem"}).err.find("both or neither") !=
        std::string::npos);

  auto help = parse({"--help"});
  CHECK(help.out.find("--tls-cert") != std::string::npos);
  CHECK(help.out.find("--tls-key") != std::string::npos);
  CHECK(help.out.find("TLS 1.2 or newer") != std::string::npos);
}

TEST_CASE("config: connection limits from a flag or PITLOG_star or the file - bad ones exit 2") {
  {
    auto p = parse({"--data", "d"});
    REQUIRE(p.outcome.action == ConfigOutcome::Action::run);
    CHECK(p.outcome.config.maxConnections == 1000);
    CHECK(p.outcome.config.idleTimeoutMs == 60'000);
    CHECK(p.outcome.config.writeTimeoutMs == 30'000);
  }
  {
    EnvVar idle("PITLOG_IDLE_TIMEOUT", "5m");
    auto p = parse({"--data", "d", "--max-connections", "50", "--write-timeout", "500ms"});
    REQUIRE(p.outcome.action == ConfigOutcome::Action::run);
    CHECK(p.outcome.config.maxConnections == 50);
    CHECK(p.outcome.config.idleTimeoutMs == 5 * 60'000);
    CHECK(p.outcome.config.writeTimeoutMs == 500);
  }
  {
    pitlog::testing::TempDir dir("pitd-config");
    std::ofstream(dir.sub("pitd.conf")) << "data = d\nmax-connections = 7\nidle-timeout = 2s\n";
    auto p = parse({"--config", dir.sub("pitd.conf")});
    REQUIRE(p.outcome.action == ConfigOutcome::Action::run);
    CHECK(p.outcome.config.maxConnections == 7);
    CHECK(p.outcome.config.idleTimeoutMs == 2000);
  }
  struct Case {
    std::vector<std::string> args;
    const char* mentions;
  };
  for (const auto& c : std::vector<Case>{
           {{"--data", "d", "--max-connections", "0"}, "--max-connections"},
           {{"--data", "d", "--max-connections", "-5"}, "--max-connections"},
           {{"--data", "d", "--max-connections", "many"}, "--max-connections"},
           {{"--data", "d", "--max-connections", "10000000"}, "--max-connections"},
           {{"--data", "d", "--idle-timeout", "0s"}, "--idle-timeout"},
           {{"--data", "d", "--idle-timeout", "2w"}, "--idle-timeout"},
           {{"--data", "d", "--write-timeout", "2d"}, "--write-timeout"},
           {{"--data", "d", "--write-timeout", ""}, "--write-timeout"},
       }) {
    auto p = parse(c.args);
    INFO(p.err);
    CHECK(p.outcome.action == ConfigOutcome::Action::exit);
    CHECK(p.outcome.exitCode == 2);
    CHECK(p.err.find(c.mentions) != std::string::npos);
  }
}

TEST_CASE("config: --storage-memory sets RocksDB's budget in MiB, 32 unless given, 8 to 65536") {
  {
    auto p = parse({"--data", "d"});
    REQUIRE(p.outcome.action == ConfigOutcome::Action::run);
    CHECK(p.outcome.config.storageMemoryBytes == size_t{32} << 20);
  }
  {
    EnvVar memory("PITLOG_STORAGE_MEMORY", "256");
    auto p = parse({"--data", "d"});
    REQUIRE(p.outcome.action == ConfigOutcome::Action::run);
    CHECK(p.outcome.config.storageMemoryBytes == size_t{256} << 20);
  }
  for (const char* bad : {"7", "65537", "-8", "32MiB", "", "99999999999"}) {
    auto p = parse({"--data", "d", "--storage-memory", bad});
    INFO(bad << ": " << p.err);
    CHECK(p.outcome.action == ConfigOutcome::Action::exit);
    CHECK(p.outcome.exitCode == 2);
    CHECK(p.err.find("--storage-memory") != std::string::npos);
  }
}

TEST_CASE("config: --http-threads sets the HTTP event loops, one per core unless given, 1 to 64") {
  {
    auto p = parse({"--data", "d"});
    REQUIRE(p.outcome.action == ConfigOutcome::Action::run);
    CHECK(p.outcome.config.httpThreads == 0);  // one per core, decided at start
  }
  {
    EnvVar threads("PITLOG_HTTP_THREADS", "3");
    auto p = parse({"--data", "d"});
    REQUIRE(p.outcome.action == ConfigOutcome::Action::run);
    CHECK(p.outcome.config.httpThreads == 3);
  }
  for (const char* bad : {"0", "65", "-1", "two", ""}) {
    auto p = parse({"--data", "d", "--http-threads", bad});
    INFO(bad << ": " << p.err);
    CHECK(p.outcome.action == ConfigOutcome::Action::exit);
    CHECK(p.outcome.exitCode == 2);
    CHECK(p.err.find("--http-threads") != std::string::npos);
  }
}

TEST_CASE("config: no --cluster is a single node with no cluster options") {
  auto p = parse({"--data", "d"});
  REQUIRE(p.outcome.action == ConfigOutcome::Action::run);
  CHECK_FALSE(p.outcome.config.cluster);
}

TEST_CASE("config: --cluster and its options from flags, PITLOG_star and the file") {
  SECTION("defaults: stream PITLOG, 3 replicas, the host name, 5 s") {
    auto p = parse({"--data", "d", "--cluster", "nats://127.0.0.1:4222"});
    REQUIRE(p.outcome.action == ConfigOutcome::Action::run);
    REQUIRE(p.outcome.config.cluster);
    const auto& c = *p.outcome.config.cluster;
    CHECK(c.urls == std::vector<std::string>{"nats://127.0.0.1:4222"});
    CHECK(c.stream == "PITLOG");
    CHECK(c.replicas == 3);
    CHECK_FALSE(c.nodeName.empty());
    CHECK(c.maxStalenessMs == 5000);
  }
  SECTION("every option") {
    auto p = parse({"--data", "d", "--cluster", "nats://10.0.0.1:4222,nats://localhost:4223",
                    "--cluster-stream", "PIT_log-2", "--cluster-replicas", "5", "--node-name",
                    "node-a.eu", "--max-staleness", "500ms"});
    INFO(p.err);
    REQUIRE(p.outcome.action == ConfigOutcome::Action::run);
    const auto& c = *p.outcome.config.cluster;
    CHECK(c.urls == std::vector<std::string>{"nats://10.0.0.1:4222", "nats://localhost:4223"});
    CHECK(c.stream == "PIT_log-2");
    CHECK(c.replicas == 5);
    CHECK(c.nodeName == "node-a.eu");
    CHECK(c.maxStalenessMs == 500);
  }
  SECTION("from the environment") {
    EnvVar cluster("PITLOG_CLUSTER", "nats://127.0.0.1:4222");
    EnvVar node("PITLOG_NODE_NAME", "from-env");
    EnvVar staleness("PITLOG_MAX_STALENESS", "2s");
    auto p = parse({"--data", "d", "--node-name", "from-flag"});
    REQUIRE(p.outcome.config.cluster);
    CHECK(p.outcome.config.cluster->nodeName == "from-flag");
    CHECK(p.outcome.config.cluster->maxStalenessMs == 2000);
  }
  SECTION("from the config file") {
    pitlog::testing::TempDir dir("config");
    const std::string file = dir.sub("pitd.conf");
    std::ofstream(file) << "cluster = nats://127.0.0.1:4222\ncluster-replicas = 1\n";
    auto p = parse({"--data", "d", "--config", file});
    REQUIRE(p.outcome.config.cluster);
    CHECK(p.outcome.config.cluster->replicas == 1);
  }
}

TEST_CASE("config: bad cluster options exit 2 naming the option") {
  struct Case {
    std::vector<std::string> args;
    const char* mentions;
  };
  const std::string url = "nats://127.0.0.1:4222";
  for (const auto& c : std::vector<Case>{
           {{"--cluster", ""}, "--cluster"},
           {{"--cluster", "127.0.0.1:4222"}, "--cluster"},
           {{"--cluster", "http://127.0.0.1:4222"}, "--cluster"},
           {{"--cluster", "nats://127.0.0.1"}, "--cluster"},
           {{"--cluster", "nats://127.0.0.1:4222,"}, "--cluster"},
           {{"--cluster", "nats://127.0.0.1:4222,,nats://127.0.0.1:4223"}, "--cluster"},
           {{"--cluster", url, "--cluster-replicas", "0"}, "--cluster-replicas"},
           {{"--cluster", url, "--cluster-replicas", "6"}, "--cluster-replicas"},
           {{"--cluster", url, "--cluster-replicas", "three"}, "--cluster-replicas"},
           {{"--cluster", url, "--cluster-stream", ""}, "--cluster-stream"},
           {{"--cluster", url, "--cluster-stream", "a.b"}, "--cluster-stream"},
           {{"--cluster", url, "--cluster-stream", "a b"}, "--cluster-stream"},
           {{"--cluster", url, "--node-name", ""}, "--node-name"},
           {{"--cluster", url, "--node-name", "a/b"}, "--node-name"},
           {{"--cluster", url, "--node-name", std::string(65, 'n')}, "--node-name"},
           {{"--cluster", url, "--max-staleness", "0s"}, "--max-staleness"},
           {{"--cluster", url, "--max-staleness", "5"}, "--max-staleness"},
           {{"--cluster", url, "--max-staleness", "2h"}, "--max-staleness"},
           // A cluster option without --cluster would leave a node believing it is clustered.
           {{"--cluster-stream", "PITLOG"}, "--cluster-stream needs --cluster"},
           {{"--node-name", "a"}, "--node-name needs --cluster"},
           {{"--max-staleness", "5s"}, "--max-staleness needs --cluster"},
           {{"--cluster-replicas", "3"}, "--cluster-replicas needs --cluster"},
       }) {
    std::vector<std::string> args{"--data", "d"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    auto p = parse(args);
    INFO(p.err);
    CHECK(p.outcome.action == ConfigOutcome::Action::exit);
    CHECK(p.outcome.exitCode == 2);
    CHECK(p.err.find(c.mentions) != std::string::npos);
  }
}

TEST_CASE("config: the webhook options: defaults, values, env, and bad values naming the option") {
  auto d = parse({"--data", "d"}).outcome.config;
  CHECK_FALSE(d.webhookKeyFile);
  CHECK_FALSE(d.webhooksAllowPrivate);
  CHECK(d.rotationDueMs == 90LL * 24 * 3600 * 1000);
  CHECK(d.webhookRetryScaleForTests == 1.0);

  auto p = parse({"--data", "d", "--webhook-key", "k", "--webhooks-allow-private",
                  "--rotation-due", "2s", "--webhook-retry-scale-for-tests", "0.001"});
  REQUIRE(p.outcome.action == ConfigOutcome::Action::run);
  const auto& c = p.outcome.config;
  CHECK(c.webhookKeyFile == std::optional<std::string>("k"));
  CHECK(c.webhooksAllowPrivate);
  CHECK(c.rotationDueMs == 2000);
  CHECK(c.webhookRetryScaleForTests == 0.001);
  {
    EnvVar env("PITLOG_WEBHOOKS_ALLOW_PRIVATE", "true");
    CHECK(parse({"--data", "d"}).outcome.config.webhooksAllowPrivate);
  }
  for (const auto& [args, mentions] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--data", "d", "--webhook-key", ""}, "--webhook-key"},
           {{"--data", "d", "--webhooks-allow-private", "perhaps"}, "--webhooks-allow-private"},
           {{"--data", "d", "--rotation-due", "soon"}, "--rotation-due"},
           {{"--data", "d", "--webhook-retry-scale-for-tests", "2"}, "--webhook-retry-scale-for-tests"},
           {{"--data", "d", "--webhook-retry-scale-for-tests", "0"}, "--webhook-retry-scale-for-tests"},
       }) {
    auto bad = parse(args);
    INFO(bad.err);
    CHECK(bad.outcome.exitCode == 2);
    CHECK(bad.err.find(mentions) != std::string::npos);
  }
}
