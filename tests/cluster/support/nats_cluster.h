#pragma once
// Real nats-server processes with JetStream for the cluster tests: one server, or a cluster of
// several with routes between all of them, on loopback ports found free at start, each with its
// own store dir under the test's temp dir. Servers are started, killed and restarted by PID; a
// restarted server keeps its ports and store dir. Every server dies with the test process
// (PR_SET_PDEATHSIG) and is killed by the destructor, so a failed test leaves nothing behind.
//
// Not thread-safe: one test thread drives it.
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace pitlog::testing {

class NatsCluster {
 public:
  // Starts `servers` servers (1: a single JetStream server; more: one cluster) and waits until
  // each answers /healthz with 200 (for a cluster: JetStream has a meta leader). Throws
  // std::runtime_error with the server's log when one exits or is not ready within 30 s.
  NatsCluster(const std::filesystem::path& dir, int servers);
  ~NatsCluster();
  NatsCluster(const NatsCluster&) = delete;
  NatsCluster& operator=(const NatsCluster&) = delete;

  int size() const { return int(servers_.size()); }
  std::string url(int i) const;  // nats://127.0.0.1:<client port>
  std::vector<std::string> urls() const;
  pid_t pid(int i) const { return servers_.at(i).pid; }
  bool running(int i) const { return servers_.at(i).pid > 0; }

  // SIGKILL and reap: the server gets no chance to flush or say goodbye.
  void kill(int i);
  // Starts a killed server again with the same name, ports and store dir; waits until ready.
  void restart(int i);
  // The server's log so far ("" when none), for failure messages.
  std::string log(int i) const;

 private:
  struct Server {
    std::string name;
    int clientPort = 0, clusterPort = 0, httpPort = 0;
    std::filesystem::path storeDir, logFile;
    pid_t pid = -1;
  };
  std::vector<std::string> arguments(int i) const;
  void launch(int i);
  void waitReady(int i);

  std::vector<Server> servers_;
};

}  // namespace pitlog::testing
