#pragma once
// The real pitd binary, started for a test: its stdout and stderr go to a log file, the HTTP
// port it chose (`--http 127.0.0.1:0`) is read from its "listening http" line, and stop() sends
// SIGTERM and waits for the exit status.
#include <sys/types.h>

#include <string>
#include <vector>

namespace pitlog::testing {

class PitdProcess {
 public:
  // Starts pitd with `args` (e.g. --data DIR --http 127.0.0.1:0 --rpc off) appending its output
  // to logFile, and waits until it listens. Throws std::runtime_error (with the log's last lines)
  // when it exits or does not listen within 30 s.
  PitdProcess(const std::string& logFile, std::vector<std::string> args);
  // Kills a pitd still running (SIGKILL): a test that failed must not leave it behind.
  ~PitdProcess();
  PitdProcess(const PitdProcess&) = delete;
  PitdProcess& operator=(const PitdProcess&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }

  // SIGTERM, then the exit status (or 128 + signal). Throws if pitd does not exit within 30 s.
  int stop();
  // Sends a signal without waiting.
  void signal(int signo);
  // Waits for an exit already under way; as stop().
  int wait();

 private:
  std::string logFile_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// Runs pitd to completion (for --help and bad options): its exit status, and its output in *out.
int runPitd(const std::vector<std::string>& args, std::string* out,
            const std::vector<std::string>& env = {});

// The text of a file ("" when absent).
std::string readFile(const std::string& path);

}  // namespace pitlog::testing
