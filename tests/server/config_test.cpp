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
