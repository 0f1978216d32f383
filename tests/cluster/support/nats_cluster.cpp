#include "support/nats_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <thread>

#ifndef NATS_SERVER_PATH
#error "NATS_SERVER_PATH must name the nats-server binary"
#endif

namespace pitlog::testing {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kReadyTimeout = std::chrono::seconds(30);

// A port the kernel has just given out and taken back. Another process could take it before the
// server binds it; a server that then fails to start is started again on other ports.
int freeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot find a free loopback port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

// The status code of GET path on the loopback port, or 0 when there is no answer.
int httpStatus(int port, const char* path) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(uint16_t(port));
  int status = 0;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    std::string request = std::string("GET ") + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::write(fd, request.data(), request.size()) == ssize_t(request.size())) {
      char buf[64] = {};
      ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
      // "HTTP/1.x 200 ..."
      if (n > 12 && std::string(buf, 5) == "HTTP/") status = std::atoi(buf + 9);
    }
  }
  ::close(fd);
  return status;
}

pid_t spawn(const std::vector<std::string>& args, const std::filesystem::path& logFile) {
  std::vector<std::string> argv{NATS_SERVER_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork() failed");
  if (pid == 0) {
    // The server dies with the test, even when the test is killed.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    int fd = ::open(logFile.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    std::vector<char*> raw;
    for (auto& a : argv) raw.push_back(a.data());
    raw.push_back(nullptr);
    ::execv(raw[0], raw.data());
    ::_exit(127);
  }
  return pid;
}

std::string tail(const std::string& text) {
  return text.size() > 3000 ? text.substr(text.size() - 3000) : text;
}

}  // namespace

NatsCluster::NatsCluster(const std::filesystem::path& dir, int servers) {
  if (servers < 1) throw std::invalid_argument("a NATS cluster needs a server");
  servers_.resize(size_t(servers));
  for (int i = 0; i < servers; ++i) {
    auto& s = servers_[size_t(i)];
    s.name = "n" + std::to_string(i + 1);
    s.storeDir = dir / ("nats-" + s.name);
    s.logFile = dir / ("nats-" + s.name + ".log");
    std::filesystem::create_directories(s.storeDir);
  }
  // Ports race with other tests: on a failed start, every server is started again on new ports.
  for (int attempt = 1;; ++attempt) {
    for (auto& s : servers_) {
      s.clientPort = freeLoopbackPort();
      s.clusterPort = freeLoopbackPort();
      s.httpPort = freeLoopbackPort();
    }
    try {
      for (int i = 0; i < servers; ++i) launch(i);
      for (int i = 0; i < servers; ++i) waitReady(i);
      return;
    } catch (const std::runtime_error&) {
      for (int i = 0; i < servers; ++i) kill(i);
      if (attempt == 3) throw;
    }
  }
}

NatsCluster::~NatsCluster() {
  for (int i = 0; i < size(); ++i) kill(i);
}

std::string NatsCluster::url(int i) const {
  return "nats://127.0.0.1:" + std::to_string(servers_.at(size_t(i)).clientPort);
}

std::vector<std::string> NatsCluster::urls() const {
  std::vector<std::string> out;
  for (int i = 0; i < size(); ++i) out.push_back(url(i));
  return out;
}

std::vector<std::string> NatsCluster::arguments(int i) const {
  const auto& s = servers_.at(size_t(i));
  std::vector<std::string> args{"-a", "127.0.0.1", "-n", s.name, "-js", "-sd", s.storeDir};
  args.insert(args.end(), {"-p", std::to_string(s.clientPort), "-m", std::to_string(s.httpPort)});
  if (size() > 1) {
    std::string routes;
    for (int j = 0; j < size(); ++j) {
      if (j == i) continue;
      routes += (routes.empty() ? "" : ",") + std::string("nats://127.0.0.1:") +
                std::to_string(servers_[size_t(j)].clusterPort);
    }
    args.insert(args.end(),
                {"--cluster_name", "pitlog-test", "--cluster",
                 "nats://127.0.0.1:" + std::to_string(s.clusterPort), "--routes", routes});
  }
  return args;
}

void NatsCluster::launch(int i) {
  auto& s = servers_.at(size_t(i));
  if (s.pid > 0) throw std::logic_error("server " + s.name + " is running");
  s.pid = spawn(arguments(i), s.logFile);
}

void NatsCluster::waitReady(int i) {
  auto& s = servers_.at(size_t(i));
  const auto deadline = Clock::now() + kReadyTimeout;
  while (Clock::now() < deadline) {
    int status;
    if (::waitpid(s.pid, &status, WNOHANG) == s.pid) {
      s.pid = -1;
      throw std::runtime_error("nats-server " + s.name + " exited at start:\n" + tail(log(i)));
    }
    if (httpStatus(s.httpPort, "/healthz") == 200) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error("nats-server " + s.name + " was not ready within 30 s:\n" +
                           tail(log(i)));
}

void NatsCluster::kill(int i) {
  auto& s = servers_.at(size_t(i));
  if (s.pid <= 0) return;
  ::kill(s.pid, SIGKILL);
  ::waitpid(s.pid, nullptr, 0);
  s.pid = -1;
}

void NatsCluster::restart(int i) {
  launch(i);
  waitReady(i);
}

std::string NatsCluster::log(int i) const {
  std::ifstream in(servers_.at(size_t(i)).logFile, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace pitlog::testing
