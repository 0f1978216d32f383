#include "support/pitd_cluster.h"

#include <catch2/catch.hpp>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <regex>
#include <thread>

#ifndef PIT_REPLAY_BINARY
#error "PIT_REPLAY_BINARY must name the pit-replay binary"
#endif

namespace pitlog::testing {

namespace {

std::string randomKey() {
  std::random_device random;
  static const char kHex[] = "0123456789abcdef";
  std::string key = "cluster-test-";
  for (int i = 0; i < 48; ++i) key += kHex[random() % 16];
  return key;
}

}  // namespace

int runCommand(const std::vector<std::string>& argv, std::string* out) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::dup2(fds[1], STDERR_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    std::vector<char*> raw;
    for (const auto& a : argv) raw.push_back(const_cast<char*>(a.c_str()));
    raw.push_back(nullptr);
    ::execv(raw[0], raw.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  out->clear();
  char buffer[4096];
  for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;) out->append(buffer, size_t(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

PitdCluster::PitdCluster(const std::filesystem::path& dir, NatsCluster& nats, int nodes,
                         std::vector<NodeOptions> options, int replicas)
    : nats_(nats), key_(randomKey()) {
  keyFile_ = (dir / "service.keys").string();
  std::ofstream(keyFile_) << key_ << "\n";
  ::chmod(keyFile_.c_str(), 0600);
  options.resize(size_t(nodes));
  for (int i = 0; i < nodes; ++i) {
    Node n;
    n.name = "node" + std::to_string(i + 1);
    n.dataDir = dir / (n.name + "-data");
    n.logFile = dir / (n.name + ".log");
    const NodeOptions& o = options[size_t(i)];
    std::vector<int> servers = o.servers;
    if (servers.empty()) {
      for (int s = 0; s < nats.size(); ++s) servers.push_back((i + s) % nats.size());
    }
    std::string urls;
    for (int s : servers) urls += (urls.empty() ? "" : ",") + nats.url(s);
    n.args = {"--data", n.dataDir.string(), "--http", "127.0.0.1:0", "--rpc",
              o.rpc ? "127.0.0.1:0" : "off",
              "--service-keys", keyFile_, "--rotation-window", "2s", "--cluster", urls,
              "--node-name", n.name, "--max-staleness", o.maxStaleness,
              "--cluster-replicas", std::to_string(replicas)};
    n.args.insert(n.args.end(), o.extraArgs.begin(), o.extraArgs.end());
    nodes_.push_back(std::move(n));
    ports_.push_back(std::make_unique<std::atomic<int>>(0));
  }
  for (int i = 0; i < nodes; ++i) start(i);
}

PitdCluster::~PitdCluster() = default;  // each PitdProcess kills its pitd

void PitdCluster::start(int i) {
  Node& n = nodes_.at(i);
  std::vector<std::string> args = n.args;
  const int known = port(i);
  if (known != 0) {
    for (size_t k = 0; k + 1 < args.size(); ++k) {
      if (args[k] == "--http") args[k + 1] = "127.0.0.1:" + std::to_string(known);
    }
  }
  n.process = std::make_unique<PitdProcess>(n.logFile.string(), args);
  ports_.at(size_t(i))->store(n.process->port());
  // Listening is not serving: a node answers introspection and mutations once it is known to be
  // current with the stream, which /healthz says with a 200.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (httpRequest(port(i), "GET", "/healthz").status != 200) {
    INFO(n.name << " not current with the stream after 30 s\n" << log(i));
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

int PitdCluster::rpcPort(int i) const {
  static const std::regex kListening("listening rpc [^ \\n]*:([0-9]+)");
  const std::string text = log(i);
  int port = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kListening);
       it != std::sregex_iterator(); ++it) {
    port = std::stoi((*it)[1]);
  }
  if (port == 0) throw std::runtime_error(name(i) + " logged no RPC port:\n" + text);
  return port;
}

int PitdCluster::stop(int i) { return nodes_.at(i).process->stop(); }

void PitdCluster::kill(int i) {
  auto& p = *nodes_.at(i).process;
  p.signal(SIGKILL);
  p.wait();
}

Headers PitdCluster::headers(bool actor, const Headers& extra) const {
  Headers h{{"Authorization", "Bearer " + key_}};
  if (actor) {
    h.emplace_back("X-Actor-User", "alice");
    h.emplace_back("X-Actor-Role", "admin");
  }
  h.insert(h.end(), extra.begin(), extra.end());
  return h;
}

HttpResponse PitdCluster::get(int i, const std::string& target, const Headers& extra) const {
  return httpRequest(port(i), "GET", target, headers(true, extra));
}

HttpResponse PitdCluster::send(int i, const std::string& method, const std::string& target,
                               const std::string& body, const Headers& extra) const {
  Headers h = headers(true, extra);
  if (!body.empty()) h.emplace_back("Content-Type", "application/json");
  return httpRequest(port(i), method, target, h, body);
}

HttpResponse PitdCluster::create(int i, const std::string& account, const std::string& name,
                                 const Headers& extra) const {
  return send(i, "POST", "/v1/accounts/" + account + "/integrations",
              R"({"name":")" + name + R"(","scopes":["contacts.readonly"]})", extra);
}

HttpResponse PitdCluster::introspect(int i, const std::string& token, const Headers& extra) const {
  Headers h = headers(false, extra);
  h.emplace_back("Content-Type", "application/json");
  return httpRequest(port(i), "POST", "/v1/introspect", h, R"({"token":")" + token + R"("})");
}

Json PitdCluster::health(int i) const {
  auto r = httpRequest(port(i), "GET", "/healthz");
  INFO(r.body);
  auto j = Json::parse(r.body);
  REQUIRE(j["cluster"].isObject());
  return j["cluster"];
}

uint64_t PitdCluster::position(int i) const {
  return static_cast<uint64_t>(health(i)["position"].num());
}

void PitdCluster::waitForPosition(uint64_t seq) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (int i = 0; i < size(); ++i) {
    if (!running(i)) continue;
    while (position(i) < seq) {
      INFO(name(i) << " at " << position(i) << ", waiting for " << seq << "\n" << log(i));
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

uint64_t PitdCluster::stopAndVerifyAll() {
  for (int i = 0; i < size(); ++i) {
    if (running(i)) {
      INFO(log(i));
      REQUIRE(stop(i) == 0);
    }
  }
  // Each node's head. Nodes stop one after another, and the scheduler of a node still running
  // may expire a rotation window meanwhile: a node stopped earlier then ends before that Expired.
  // So the check is that every log is a prefix of the others: equal chain heads at the shortest
  // log's end (API.md: two nodes at the same position have the same chain head).
  std::vector<std::pair<uint64_t, std::string>> heads;
  for (int i = 0; i < size(); ++i) {
    std::string out;
    const int verified = runCommand({PIT_REPLAY_BINARY, "--data", dataDir(i), "verify"}, &out);
    INFO(name(i) << ": pit-replay verify: " << out);
    CHECK(verified == 0);
    REQUIRE(runCommand({PIT_REPLAY_BINARY, "--data", dataDir(i), "checkpoint"}, &out) == 0);
    auto checkpoint = Json::parse(out);
    heads.emplace_back(static_cast<uint64_t>(checkpoint["seq"].num()), checkpoint["hash"].str());
  }
  if (heads.empty()) return 0;
  uint64_t common = heads.front().first;
  for (const auto& h : heads) common = std::min(common, h.first);
  std::optional<std::string> hashAtCommon;
  for (int i = 0; i < size(); ++i) {
    std::string hash = heads[i].second;
    if (heads[i].first > common && common > 0) {
      std::string out;
      const std::string seq = std::to_string(common);
      REQUIRE(runCommand({PIT_DUMP_BINARY, "--data", dataDir(i), "--format", "json", "--from", seq,
                          "--to", seq}, &out) == 0);
      hash = Json::parse(out)["hash"].str();
    }
    INFO(name(i) << " ends at " << heads[i].first << "; its chain head at " << common << " is "
                 << hash);
    if (hashAtCommon) {
      CHECK(hash == *hashAtCommon);
    } else {
      hashAtCommon = hash;
    }
  }
  return common;
}

}  // namespace pitlog::testing
