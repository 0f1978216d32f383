// The real binaries, in another process, reading a database that this test process holds open
// through an Engine, as pitd would: they must open it as a secondary, see what the engine wrote,
// follow new writes, and end cleanly on SIGTERM.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "tool_fixture.h"

extern char** environ;

namespace pitlog::tools::testing {
namespace {

// A child process with its stdout in a pipe.
class Child {
 public:
  // `pipeBytes`: the pipe's capacity (0: the default, 64 KiB), small to make the child block or
  // meet a closed pipe after a few lines.
  explicit Child(const std::vector<std::string>& argv, int pipeBytes = 0) {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    if (pipeBytes > 0) REQUIRE(::fcntl(fds[1], F_SETPIPE_SZ, pipeBytes) >= pipeBytes);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    REQUIRE(rc == 0);
    out_ = fds[0];
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) ::close(out_);
  }

  // Reads stdout until it holds `lines` lines, the pipe closes, or the timeout passes.
  const std::string& readLines(size_t lines, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (static_cast<size_t>(std::count(output_.begin(), output_.end(), '\n')) < lines) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[4096];
      ssize_t n = ::read(out_, buf, sizeof(buf));
      if (n <= 0) break;
      output_.append(buf, static_cast<size_t>(n));
    }
    return output_;
  }

  int wait() {
    readLines(SIZE_MAX, std::chrono::seconds(30));  // drain until the pipe closes
    int status = 0;
    REQUIRE(::waitpid(pid_, &status, 0) == pid_);
    pid_ = -1;
    REQUIRE(WIFEXITED(status));
    return WEXITSTATUS(status);
  }
  void signal(int sig) { ::kill(pid_, sig); }
  // As `| head` does once it has its lines.
  void closeOutput() {
    ::close(out_);
    out_ = -1;
  }
  // The exit status, without reading what is left.
  int waitClosed() {
    int status = 0;
    REQUIRE(::waitpid(pid_, &status, 0) == pid_);
    pid_ = -1;
    REQUIRE(WIFEXITED(status));
    return WEXITSTATUS(status);
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string output_;
};

// TMPDIR for the children of one test: where the tools make their secondaries' directories.
class PrivateTmp {
 public:
  PrivateTmp() : dir_(temp_.sub("tmp")) {
    std::filesystem::create_directories(dir_);
    const char* old = std::getenv("TMPDIR");
    if (old != nullptr) old_ = old;
    ::setenv("TMPDIR", dir_.c_str(), 1);
  }
  ~PrivateTmp() {
    if (old_) {
      ::setenv("TMPDIR", old_->c_str(), 1);
    } else {
      ::unsetenv("TMPDIR");
    }
  }
  size_t entries() const {
    return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(dir_), {}));
  }

 private:
  pitlog::testing::TempDir temp_;
  std::string dir_;
  std::optional<std::string> old_;
};

size_t lineCount(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

TEST_CASE("pit-dump and pit-replay in another process read a live database", "[process][live]") {
  HistoryDb db;
  auto engine = db.openEngine(kT0 + 20 * kDay);
  HistoryDb::editA(*engine, db.a, "written while live");  // in the memtable and WAL only

  Child dumpChild({PIT_DUMP_BINARY, "--data", db.dir(), "--format", "json"});
  CHECK(dumpChild.wait() == kExitOk);
  const auto& out = dumpChild.readLines(0, std::chrono::milliseconds(0));
  CHECK(lineCount(out) == 10);
  CHECK_THAT(out, Catch::Contains("written while live"));

  Child verifyChild({PIT_REPLAY_BINARY, "--data", db.dir(), "verify"});
  CHECK(verifyChild.wait() == kExitOk);
  CHECK_THAT(verifyChild.readLines(0, std::chrono::milliseconds(0)),
             Catch::Contains("secondary") && Catch::Contains("chain: ok, 10 events"));

  // The engine can still write: nothing the tools did got in its way.
  HistoryDb::editA(*engine, db.a, "after the tools");
  CHECK(engine->lastSeq() == 11);
}

TEST_CASE("pit-dump --follow in another process sees new events and stops on SIGTERM",
          "[process][live]") {
  HistoryDb db;
  auto engine = db.openEngine(kT0 + 20 * kDay);
  Child follower({PIT_DUMP_BINARY, "--data", db.dir(), "--follow"});
  CHECK(lineCount(follower.readLines(9, std::chrono::seconds(20))) == 9);
  HistoryDb::editA(*engine, db.a, "followed edit");
  const auto& out = follower.readLines(10, std::chrono::seconds(20));
  CHECK(lineCount(out) == 10);
  CHECK_THAT(out, Catch::Contains("followed edit"));
  follower.signal(SIGTERM);
  CHECK(follower.wait() == kExitOk);
}

TEST_CASE("pit-dump | head on a live database ends quietly and leaves no temporary directory",
          "[process][live]") {
  HistoryDb db;
  auto engine = db.openEngine(kT0 + 20 * kDay);
  PrivateTmp tmp;
  // A 4 KiB pipe: the nine JSON lines do not fit, so the dump meets the closed pipe.
  Child dumpChild({PIT_DUMP_BINARY, "--data", db.dir(), "--format", "json"}, 4096);
  CHECK(lineCount(dumpChild.readLines(1, std::chrono::seconds(20))) >= 1);
  dumpChild.closeOutput();
  CHECK(dumpChild.waitClosed() == kExitOk);
  CHECK(tmp.entries() == 0);
}

TEST_CASE("SIGTERM ends a dump that is not following at once, removing its temporary directory",
          "[process][live]") {
  HistoryDb db;
  auto engine = db.openEngine(kT0 + 20 * kDay);
  PrivateTmp tmp;
  // Nobody reads the 4 KiB pipe: the dump blocks on its output, with its secondary open.
  Child dumpChild({PIT_DUMP_BINARY, "--data", db.dir(), "--format", "json"}, 4096);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (tmp.entries() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(tmp.entries() == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let it fill the pipe
  dumpChild.signal(SIGTERM);
  CHECK(dumpChild.waitClosed() == 128 + SIGTERM);
  CHECK(tmp.entries() == 0);
}

}  // namespace pitlog::tools::testing
