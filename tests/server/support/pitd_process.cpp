#include "support/pitd_process.h"

#include "support/cluster_mode.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <regex>
#include <stdexcept>
#include <thread>

#ifndef PITD_PATH
#error "PITD_PATH must name the pitd binary"
#endif

namespace pitlog::testing {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kTimeout = std::chrono::seconds(30);

pid_t spawn(const std::vector<std::string>& args, const std::string& outputFile,
            const std::vector<std::string>& env) {
  std::vector<std::string> argv{PITD_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork() failed");
  if (pid == 0) {
    int fd = ::open(outputFile.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> raw;
    for (auto& a : argv) raw.push_back(a.data());
    raw.push_back(nullptr);
    ::execv(raw[0], raw.data());
    ::_exit(127);
  }
  return pid;
}

int exitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::string tail(const std::string& text) {
  return text.size() > 4000 ? text.substr(text.size() - 4000) : text;
}

}  // namespace

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

PitdProcess::PitdProcess(const std::string& logFile, std::vector<std::string> args)
    : logFile_(logFile) {
  const size_t logStart = readFile(logFile).size();  // a restart appends to the same log
  pid_ = spawn(withClusterMode(std::move(args)), logFile, {});
  static const std::regex kListening("listening http [^ \\n]*:([0-9]+)");
  const auto deadline = Clock::now() + kTimeout;
  while (Clock::now() < deadline) {
    std::string log = readFile(logFile);
    std::smatch m;
    std::string fresh = log.size() > logStart ? log.substr(logStart) : std::string();
    if (std::regex_search(fresh, m, kListening)) {
      port_ = std::stoi(m[1]);
      return;
    }
    int status;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("pitd exited with " + std::to_string(exitStatus(status)) +
                               " before listening:\n" + tail(fresh));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
  throw std::runtime_error("pitd did not listen within 30 s:\n" + tail(readFile(logFile)));
}

PitdProcess::~PitdProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

void PitdProcess::signal(int signo) {
  if (pid_ > 0) ::kill(pid_, signo);
}

int PitdProcess::wait() {
  if (pid_ <= 0) throw std::runtime_error("pitd is not running");
  const auto deadline = Clock::now() + kTimeout;
  while (Clock::now() < deadline) {
    int status;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return exitStatus(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("pitd did not exit within 30 s");
}

int PitdProcess::stop() {
  signal(SIGTERM);
  return wait();
}

int runPitd(const std::vector<std::string>& args, std::string* out,
            const std::vector<std::string>& env) {
  char pattern[] = "/tmp/pitd-run-XXXXXX";
  int fd = ::mkstemp(pattern);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  ::close(fd);
  pid_t pid = spawn(args, pattern, env);
  int status = 0;
  ::waitpid(pid, &status, 0);
  *out = readFile(pattern);
  ::unlink(pattern);
  return exitStatus(status);
}

}  // namespace pitlog::testing
