#include "server/config.h"

#include <boost/program_options.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <unistd.h>
#include <vector>

#include "commands/decide.h"
#include "events/time_format.h"

namespace pitlog::server {

namespace po = boost::program_options;

namespace {

constexpr const char* kEnvPrefix = "PITLOG_";

// The options every source may set; --help and --config are handled beside them.
const std::vector<std::string>& settableOptions() {
  static const std::vector<std::string> kNames = {
      "data", "http", "rpc", "service-keys", "log-signing-key", "scopes", "rotation-window", "sync",
      "storage-memory", "http-threads", "log-level", "log-format", "tls-cert", "tls-key", "max-connections",
      "idle-timeout", "write-timeout", "cluster", "cluster-stream", "cluster-replicas",
      "node-name", "max-staleness", "webhook-key", "webhooks-allow-private", "rotation-due",
      "webhook-retry-scale-for-tests", "config"};
  return kNames;
}

po::options_description describeOptions() {
  po::options_description d("Options");
  // Every value is taken as a string and checked below, so that a bad one gets a message that
  // names the option and shows what is expected.
  d.add_options()
      ("help,h", "print this help and exit")
      ("data", po::value<std::string>()->value_name("DIR"),
       "database directory, created if absent (required)")
      ("http", po::value<std::string>()->value_name("HOST:PORT"),
       "HTTP/JSON listen address (default 127.0.0.1:8080); port 0 picks a free port and logs it")
      ("rpc", po::value<std::string>()->value_name("HOST:PORT|off"),
       "Cap'n Proto RPC listen address (default 127.0.0.1:8081); `off` disables it")
      ("service-keys", po::value<std::string>()->value_name("FILE"),
       "file of service keys, one per line, '#' comments (default: <data>/service.key, "
       "generated at first start)")
      ("log-signing-key", po::value<std::string>()->value_name("FILE"),
       "Ed25519 private key (PKCS#8 PEM) that signs the log's checkpoints (default: "
       "<data>/log-signing.key, created with mode 0600 at first start)")
      ("scopes", po::value<std::string>()->value_name("FILE"),
       "scope catalogue, one scope per line (default: the built-in catalogue)")
      ("rotation-window", po::value<std::string>()->value_name("DURATION"),
       "how long the previous token stays valid after a rotate (default 7d; e.g. 36h, 90m, 2s)")
      ("webhook-key", po::value<std::string>()->value_name("FILE"),
       "master key that webhook signing secrets are derived from (default: <data>/webhook.key, "
       "created with mode 0600 at first start; never logged)")
      ("webhooks-allow-private",
       po::value<std::string>()->value_name("true|false")->implicit_value("true"),
       "allow webhook targets over http and at private addresses (tests, private networks; "
       "default false: https to public addresses only)")
      ("rotation-due", po::value<std::string>()->value_name("DURATION"),
       "age of a current token at which the rotation.due webhook fires (default 90d)")
      ("webhook-retry-scale-for-tests", po::value<std::string>()->value_name("FACTOR"),
       "FOR TESTS ONLY: multiplies the webhook retry delays and give-up time (default 1)")
      ("sync", po::value<std::string>()->value_name("true|false"),
       "fsync every commit before answering (default true)")
      ("log-level", po::value<std::string>()->value_name("LEVEL"),
       "trace, debug, info, warn, error, critical or off (default info)")
      ("log-format", po::value<std::string>()->value_name("text|json"),
       "log line format (default text)")
      ("tls-cert", po::value<std::string>()->value_name("FILE"),
       "serve HTTP and RPC over TLS with this PEM certificate (chain, leaf first); needs "
       "--tls-key. TLS 1.2 or newer only, e.g. --tls-cert /etc/pitlog/tls/cert.pem")
      ("tls-key", po::value<std::string>()->value_name("FILE"),
       "the certificate's unencrypted PEM private key (keep it mode 0600); needs --tls-cert, "
       "e.g. --tls-key /etc/pitlog/tls/key.pem")
      ("storage-memory", po::value<std::string>()->value_name("MIB"),
       "RocksDB's memory in MiB, block cache and memtables together (default 32; 8 to 65536). "
       "Introspection is answered from pitd's own tables, not from this cache")
      ("http-threads", po::value<std::string>()->value_name("N"),
       "event loops serving the HTTP port, each on its own thread with its own connections "
       "(default: one per core; 1 to 64)")
      ("max-connections", po::value<std::string>()->value_name("N"),
       "connections open at once on each port (default 1000); beyond it a new connection is "
       "closed at once")
      ("idle-timeout", po::value<std::string>()->value_name("DURATION"),
       "close an RPC connection with no message either way for this long (default 60s)")
      ("write-timeout", po::value<std::string>()->value_name("DURATION"),
       "close a connection (HTTP or RPC) whose client takes none of its answers for this long "
       "(default 30s)")
      ("cluster", po::value<std::string>()->value_name("URLS"),
       "run as one node of a cluster whose log is a NATS JetStream stream: nats://HOST:PORT, "
       "several separated by commas (default: a single node, no cluster)")
      ("cluster-stream", po::value<std::string>()->value_name("NAME"),
       "the stream holding the cluster's log (default PITLOG; letters, digits, '-' and '_')")
      ("cluster-replicas", po::value<std::string>()->value_name("N"),
       "replicas of the stream when pitd creates it, 1 to 5 (default 3)")
      ("node-name", po::value<std::string>()->value_name("NAME"),
       "this node's name in logs, metrics and commits (default: the host name)")
      ("max-staleness", po::value<std::string>()->value_name("DURATION"),
       "answer introspection and mutations 503 once the node has not been current with the "
       "stream for this long (default 5s)")
      ("config", po::value<std::string>()->value_name("FILE"),
       "read options from FILE (`name = value` lines, '#' comments)");
  return d;
}

void printHelp(std::ostream& out, const po::options_description& d) {
  out << "pitd - issues and verifies Private Integration Tokens over HTTP/JSON and Cap'n Proto RPC\n"
         "\n"
         "Usage: pitd --data DIR [options]\n"
         "\n"
      << d
      << "\n"
         "Every option may also come from the environment as PITLOG_<NAME> (upper case, '-' as\n"
         "'_', e.g. PITLOG_ROTATION_WINDOW=36h) or from the --config file. A flag beats the\n"
         "environment, which beats the file.\n"
         "\n"
         "Examples:\n"
         "  pitd --data /var/lib/pitlog\n"
         "  pitd --data ./db --http 0.0.0.0:8080 --rpc off --service-keys /etc/pitlog/keys\n"
         "  pitd --data ./db --http 127.0.0.1:0 --rotation-window 2s --log-format json\n"
         "  PITLOG_DATA=/var/lib/pitlog pitd --config /etc/pitlog/pitd.conf\n"
         "  pitd --data ./db --http 0.0.0.0:8443 --tls-cert cert.pem --tls-key key.pem\n"
         "  pitd --data ./db --cluster nats://10.0.0.1:4222,nats://10.0.0.2:4222 --node-name a\n"
         "\n"
         "With no --service-keys, the first start writes a random key to <data>/service.key\n"
         "(mode 0600) and logs that path; clients send it as `Authorization: Bearer <key>`.\n"
         "With --tls-cert and --tls-key, both ports speak only TLS (1.2 or newer; 1.3 when the\n"
         "client offers it); a client that fails its handshake is dropped and nothing else is\n"
         "disturbed. Without them both ports are plain, for loopback or a TLS-terminating proxy.\n"
         "Both ports hold at most --max-connections connections each; a new connection must\n"
         "send its first request (RPC: log in) within 15 s, an RPC session idle for\n"
         "--idle-timeout is closed, and a client that takes none of its answers for\n"
         "--write-timeout is disconnected. A failed accept (e.g. no file descriptor left) is\n"
         "retried, never fatal.\n"
         "With --cluster, pitd is one node of a cluster: every node serves every route, the log\n"
         "lives in the JetStream stream (created when missing), each node keeps a full copy in\n"
         "its data dir, and a node not current with the stream for --max-staleness answers\n"
         "introspection and mutations 503 until it has caught up.\n"
         "SIGTERM or SIGINT stops pitd after the commands in flight on both ports are durable\n"
         "and answered. SIGHUP reloads the service keys.\n";
}

// PITLOG_ROTATION_WINDOW -> rotation-window; anything else (PITLOG_KEEP_TEST_DIRS, ...) is not an
// option and is ignored.
std::string envToOption(const std::string& variable) {
  std::string_view v(variable);
  if (v.substr(0, std::char_traits<char>::length(kEnvPrefix)) != kEnvPrefix) return {};
  std::string name(v.substr(std::char_traits<char>::length(kEnvPrefix)));
  for (char& c : name) c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto& known = settableOptions();
  return std::find(known.begin(), known.end(), name) != known.end() ? name : std::string();
}

struct BadOption {
  std::string message;
};

// Boost.Program_options 1.74 writes its error messages by expanding %placeholders% with the
// offending text, and loops forever (growing a string without bound) when that text holds a
// placeholder itself: fuzz_config found `x'%canonical_option%' = 1` in a config file. No name of
// pitd's options has a '%', so a name with one (or a config line that is not `name = value` and
// has one) is refused here, before Boost sees it. Values may hold '%'; pitd checks them itself.
bool nameHasPercent(std::string_view nameEqualsValue) {
  return nameEqualsValue.substr(0, nameEqualsValue.find('=')).find('%') != std::string_view::npos;
}

void refusePercentInNames(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view token(argv[i]);
    if (token.size() < 2 || token[0] != '-') continue;
    if (nameHasPercent(token)) {
      throw BadOption{"unrecognised option (option names have no '%')"};
    }
  }
}

std::string readConfigText(std::istream& file) {
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  size_t lineNo = 0;
  for (size_t start = 0; start <= text.size(); ++lineNo) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    line = line.substr(0, line.find('#'));
    if (nameHasPercent(line)) {
      throw BadOption{"--config: line " + std::to_string(lineNo + 1) +
                      ": not an option of pitd (option names have no '%')"};
    }
    start = end + 1;
  }
  return text;
}

std::optional<bool> parseBool(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "0" || text == "no" || text == "off") return false;
  return std::nullopt;
}

bool allOf(std::string_view text, bool (*ok)(char)) {
  return !text.empty() && std::all_of(text.begin(), text.end(), ok);
}

bool isDigit(char ch) { return ch >= '0' && ch <= '9'; }

// A whole number from `low` to `high` written in decimal digits only (no sign, no spaces).
std::optional<unsigned long> parseCount(const std::string& text, unsigned long low, unsigned long high) {
  if (!allOf(text, isDigit) || text.size() > 9) return std::nullopt;
  const unsigned long n = std::stoul(text);
  if (n < low || n > high) return std::nullopt;
  return n;
}
bool isStreamChar(char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_'; }
bool isNodeNameChar(char ch) { return isStreamChar(ch) || ch == '.'; }

// "nats://HOST:PORT", the form API.md gives (the NATS client takes others too; pitd does not,
// so that a typo is an error at start rather than a server that never answers).
bool isNatsUrl(std::string_view url) {
  constexpr std::string_view kScheme = "nats://";
  if (url.substr(0, kScheme.size()) != kScheme) return false;
  return parseEndpoint(std::string(url.substr(kScheme.size()))).has_value();
}

std::string hostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "pitd";
  std::string text(name);
  // A host name may hold characters a metric label or msg id should not; keep the safe ones.
  text.erase(std::remove_if(text.begin(), text.end(), [](char ch) { return !isNodeNameChar(ch); }),
             text.end());
  return text.empty() ? "pitd" : text.substr(0, 64);
}

template <typename Get>
std::optional<ClusterConfig> interpretCluster(Get& get) {
  auto urls = get("cluster");
  if (!urls) {
    for (const char* name : {"cluster-stream", "cluster-replicas", "node-name", "max-staleness"}) {
      if (get(name)) throw BadOption{std::string("--") + name + " needs --cluster (a cluster node)"};
    }
    return std::nullopt;
  }
  ClusterConfig c;
  std::string_view rest(*urls);
  for (;;) {
    const size_t comma = rest.find(',');
    const std::string_view url = rest.substr(0, comma);
    if (!isNatsUrl(url)) {
      throw BadOption{"--cluster: expected nats://HOST:PORT[,nats://HOST:PORT...], got '" +
                      *urls + "'"};
    }
    c.urls.emplace_back(url);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (auto v = get("cluster-stream")) {
    if (v->size() > 64 || !allOf(*v, isStreamChar)) {
      throw BadOption{"--cluster-stream: expected 1-64 letters, digits, '-' or '_', got '" + *v +
                      "'"};
    }
    c.stream = *v;
  }
  if (auto v = get("cluster-replicas")) {
    if (v->size() != 1 || !allOf(*v, isDigit) || (*v)[0] < '1' || (*v)[0] > '5') {
      throw BadOption{"--cluster-replicas: expected a number from 1 to 5, got '" + *v + "'"};
    }
    c.replicas = (*v)[0] - '0';
  }
  if (auto v = get("node-name")) {
    if (v->size() > 64 || !allOf(*v, isNodeNameChar)) {
      throw BadOption{"--node-name: expected 1-64 letters, digits, '.', '-' or '_', got '" + *v +
                      "'"};
    }
    c.nodeName = *v;
  } else {
    c.nodeName = hostName();
  }
  if (auto v = get("max-staleness")) {
    auto ms = events::parseDuration(*v);
    if (!ms || *ms > 3600LL * 1000) {
      throw BadOption{"--max-staleness: expected a positive duration of at most 1h such as 5s "
                      "or 500ms, got '" + *v + "'"};
    }
    c.maxStalenessMs = *ms;
  }
  return c;
}

Config interpret(const po::variables_map& vm) {
  Config c;
  auto get = [&](const char* name) -> std::optional<std::string> {
    if (!vm.count(name)) return std::nullopt;
    return vm[name].as<std::string>();
  };
  if (auto v = get("data")) c.dataDir = *v;
  if (c.dataDir.empty()) {
    throw BadOption{"--data DIR is required (or PITLOG_DATA, or `data =` in the config file)"};
  }
  if (auto v = get("http")) {
    auto e = parseEndpoint(*v);
    if (!e) throw BadOption{"--http: expected HOST:PORT, got '" + *v + "'"};
    c.http = *e;
  }
  if (auto v = get("rpc")) {
    if (*v == "off") {
      c.rpc = std::nullopt;
    } else {
      auto e = parseEndpoint(*v);
      if (!e) throw BadOption{"--rpc: expected HOST:PORT or off, got '" + *v + "'"};
      c.rpc = *e;
    }
  }
  if (auto v = get("service-keys")) {
    if (v->empty()) throw BadOption{"--service-keys: expected a file name"};
    c.serviceKeysFile = *v;
  }
  if (auto v = get("log-signing-key")) {
    if (v->empty()) throw BadOption{"--log-signing-key: expected a file name"};
    c.logSigningKeyFile = *v;
  }
  if (auto v = get("webhook-key")) {
    if (v->empty()) throw BadOption{"--webhook-key: expected a file name"};
    c.webhookKeyFile = *v;
  }
  if (auto v = get("webhooks-allow-private")) {
    auto b = parseBool(*v);
    if (!b) throw BadOption{"--webhooks-allow-private: expected true or false, got '" + *v + "'"};
    c.webhooksAllowPrivate = *b;
  }
  if (auto v = get("rotation-due")) {
    auto ms = events::parseDuration(*v);
    if (!ms) {
      throw BadOption{"--rotation-due: expected a positive duration such as 90d, 36h or 2s, got '" +
                      *v + "'"};
    }
    c.rotationDueMs = *ms;
  }
  if (auto v = get("webhook-retry-scale-for-tests")) {
    char* end = nullptr;
    const double f = std::strtod(v->c_str(), &end);
    if (v->empty() || end != v->c_str() + v->size() || !(f > 0) || f > 1) {
      throw BadOption{"--webhook-retry-scale-for-tests: expected a factor in (0, 1], got '" + *v +
                      "'"};
    }
    c.webhookRetryScaleForTests = f;
  }
  if (auto v = get("scopes")) {
    if (v->empty()) throw BadOption{"--scopes: expected a file name"};
    c.scopesFile = *v;
  }
  // Both TLS files or neither: one alone would leave an operator believing the ports are
  // encrypted when they are not (or refusing every client), so it is a configuration error.
  auto cert = get("tls-cert");
  auto key = get("tls-key");
  if (cert && cert->empty()) throw BadOption{"--tls-cert: expected a file name"};
  if (key && key->empty()) throw BadOption{"--tls-key: expected a file name"};
  if (cert && !key) throw BadOption{"--tls-cert needs --tls-key (both or neither)"};
  if (key && !cert) throw BadOption{"--tls-key needs --tls-cert (both or neither)"};
  c.tlsCertFile = cert;
  c.tlsKeyFile = key;
  if (auto v = get("rotation-window")) {
    auto ms = events::parseDuration(*v);
    if (!ms) {
      throw BadOption{"--rotation-window: expected a positive duration such as 7d, 36h, 90m or "
                      "2s, got '" + *v + "'"};
    }
    if (*ms > commands::kMaxRotationWindowMs) {
      throw BadOption{"--rotation-window: at most 366d, got '" + *v + "'"};
    }
    c.rotationWindowMs = *ms;
  }
  if (auto v = get("sync")) {
    auto b = parseBool(*v);
    if (!b) throw BadOption{"--sync: expected true or false, got '" + *v + "'"};
    c.sync = *b;
  }
  if (auto v = get("storage-memory")) {
    const auto mib = parseCount(*v, 8, 65536);
    if (!mib) throw BadOption{"--storage-memory: expected a number of MiB from 8 to 65536, got '" + *v + "'"};
    c.storageMemoryBytes = static_cast<size_t>(*mib) << 20;
  }
  if (auto v = get("http-threads")) {
    const auto n = parseCount(*v, 1, 64);
    if (!n) throw BadOption{"--http-threads: expected a number from 1 to 64, got '" + *v + "'"};
    c.httpThreads = *n;
  }
  if (auto v = get("max-connections")) {
    const auto n = parseCount(*v, 1, 1'000'000);
    if (!n) throw BadOption{"--max-connections: expected a number from 1 to 1000000, got '" + *v + "'"};
    c.maxConnections = *n;
  }
  auto timeout = [&](const char* name, int64_t* ms) {
    auto v = get(name);
    if (!v) return;
    auto parsed = events::parseDuration(*v);
    if (!parsed || *parsed > 24LL * 3600 * 1000) {
      throw BadOption{std::string("--") + name + ": expected a positive duration of at most 1d "
                      "such as 60s, 5m or 500ms, got '" + *v + "'"};
    }
    *ms = *parsed;
  };
  timeout("idle-timeout", &c.idleTimeoutMs);
  timeout("write-timeout", &c.writeTimeoutMs);
  c.cluster = interpretCluster(get);
  if (auto v = get("log-level")) {
    static const std::vector<std::string> kLevels = {"trace", "debug", "info", "warn",
                                                     "error", "critical", "off"};
    if (std::find(kLevels.begin(), kLevels.end(), *v) == kLevels.end()) {
      throw BadOption{"--log-level: expected trace, debug, info, warn, error, critical or off, "
                      "got '" + *v + "'"};
    }
    c.logLevel = *v;
  }
  if (auto v = get("log-format")) {
    if (*v == "text") {
      c.logFormat = LogFormat::text;
    } else if (*v == "json") {
      c.logFormat = LogFormat::json;
    } else {
      throw BadOption{"--log-format: expected text or json, got '" + *v + "'"};
    }
  }
  return c;
}

}  // namespace

std::optional<Endpoint> parseEndpoint(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return std::nullopt;
  std::string host = text.substr(0, colon);
  std::string port = text.substr(colon + 1);
  if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) {
        return c >= '0' && c <= '9';
      })) {
    return std::nullopt;
  }
  unsigned long n = std::stoul(port);
  if (n > 65535) return std::nullopt;
  // A bare IPv6 address needs brackets, or its last group would be read as the port.
  if (host.find(':') != std::string::npos && (host.front() != '[' || host.back() != ']')) {
    return std::nullopt;
  }
  if (std::any_of(host.begin(), host.end(), [](unsigned char c) { return c <= ' ' || c >= 0x7f; })) {
    return std::nullopt;
  }
  return Endpoint{host, static_cast<uint16_t>(n)};
}

ConfigOutcome parseConfig(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  ConfigOutcome outcome;
  auto usage = [&](const std::string& message) {
    err << "pitd: " << message << "\nTry 'pitd --help'.\n";
    outcome.action = ConfigOutcome::Action::exit;
    outcome.exitCode = 2;
    return outcome;
  };
  const auto description = describeOptions();
  po::variables_map vm;
  try {
    // store() keeps the first value it sees for an option, so the sources go in by precedence.
    // No positional arguments: an empty description makes any of them an error.
    const po::positional_options_description none;
    refusePercentInNames(argc, argv);
    po::store(po::command_line_parser(argc, argv).options(description).positional(none).run(), vm);
    if (vm.count("help")) {
      printHelp(out, description);
      outcome.action = ConfigOutcome::Action::exit;
      outcome.exitCode = 0;
      return outcome;
    }
    po::store(po::parse_environment(description, envToOption), vm);
    if (vm.count("config")) {
      const std::string path = vm["config"].as<std::string>();
      std::ifstream file(path);
      if (!file) return usage("--config: cannot read '" + path + "'");
      std::istringstream text(readConfigText(file));
      po::store(po::parse_config_file(text, description, /*allow_unregistered=*/false), vm);
    }
    po::notify(vm);
    outcome.config = interpret(vm);
  } catch (const BadOption& e) {
    return usage(e.message);
  } catch (const po::error& e) {
    return usage(e.what());
  }
  return outcome;
}

}  // namespace pitlog::server
