// Crash safety: a child process (crash_child.cpp) appends under load and reports each
// acknowledged command; the test kills it with SIGKILL at a random moment, reopens the
// database, and checks that every acknowledged append is there, the hash chain verifies and the
// stored views equal a rebuild. Several rounds on the same database.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "core_support.h"
#include "support/temp_dir.h"

extern char** environ;

using namespace pitlog;
using namespace pitlog::coretest;
using pitlog::testing::TempDir;

namespace {

struct Ack {
  uint64_t seq = 0;
  std::string stream;  // integration id, or "-" for a permission change
  uint32_t version = 0;
};

// Reads complete lines from fd into acks; returns false at end of file.
bool readAcks(int fd, std::string& buffer, std::vector<Ack>& acks) {
  char chunk[4096];
  ssize_t n = ::read(fd, chunk, sizeof chunk);
  if (n <= 0) return false;
  buffer.append(chunk, static_cast<size_t>(n));
  size_t nl;
  while ((nl = buffer.find('\n')) != std::string::npos) {
    std::istringstream line(buffer.substr(0, nl));
    buffer.erase(0, nl + 1);
    std::string word;
    Ack a;
    line >> word >> a.seq >> a.stream >> a.version;
    if (word != "ack" || !line) FAIL("unexpected line from the child: " << line.str());
    acks.push_back(a);
  }
  return true;
}

struct Child {
  pid_t pid = -1;
  int out = -1;
};

Child spawnChild(const std::string& dataDir, uint64_t seed) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  std::string path = PITLOG_CRASH_CHILD;
  std::string seedText = std::to_string(seed);
  char* argv[] = {path.data(), const_cast<char*>(dataDir.c_str()), seedText.data(), nullptr};
  Child c;
  int rc = ::posix_spawn(&c.pid, path.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  REQUIRE(rc == 0);
  c.out = fds[0];
  return c;
}

}  // namespace

TEST_CASE("crash: every acknowledged append survives SIGKILL, chain and views hold",
          "[crash]") {
  const uint64_t seed = Catch::rngSeed() ? Catch::rngSeed() : std::random_device{}();
  INFO("seed " << seed << " (rerun with --rng-seed " << seed << ")");
  std::mt19937_64 rng(seed);
  TempDir dir("pitlog-core-crash");
  const std::string data = dir.sub("data");
  std::vector<Ack> acked;  // over every round
  uint64_t lastSeqSeen = 0;

  for (int round = 0; round < 5; ++round) {
    INFO("round " << round);
    const size_t target = 1 + rng() % 400;
    Child child = spawnChild(data, seed + round);
    std::string buffer;
    std::vector<Ack> acks;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
    bool eof = false;
    while (acks.size() < target && !eof) {
      pollfd p{child.out, POLLIN, 0};
      int ready = ::poll(&p, 1, 100);
      if (ready > 0) eof = !readAcks(child.out, buffer, acks);
      if (std::chrono::steady_clock::now() > deadline) break;
    }
    // A random moment after the target: mid-batch, mid-fsync, or idle.
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 20000));
    REQUIRE(::kill(child.pid, SIGKILL) == 0);
    int status = 0;
    REQUIRE(::waitpid(child.pid, &status, 0) == child.pid);
    // Lines the child wrote before it died were acknowledged too.
    while (readAcks(child.out, buffer, acks)) {
    }
    ::close(child.out);
    REQUIRE_FALSE(eof);                 // the child did not stop on its own
    REQUIRE(WIFSIGNALED(status));
    REQUIRE(WTERMSIG(status) == SIGKILL);
    REQUIRE(acks.size() >= target);
    acked.insert(acked.end(), acks.begin(), acks.end());

    // Reopen: every acknowledged append is present, in its stream at its version.
    commands::EngineOptions options;
    options.dataDir = data;
    auto engine = commands::Engine::open(options);
    for (const auto& a : acked) {
      INFO("acknowledged seq " << a.seq << " stream " << a.stream << " version " << a.version);
      auto bytes = ev::readEvent(engine->store(), a.seq);
      REQUIRE(bytes);
      std::string error;
      auto e = ev::DecodedEvent::decode(*bytes, &error);
      REQUIRE(e);
      auto stream = std::string(ev::textView(e->reader().getStreamId()));
      if (a.stream == "-") {
        CHECK(stream.rfind("perm/", 0) == 0);
      } else {
        CHECK(stream == a.stream);
      }
      CHECK(e->reader().getStreamVersion() == a.version);
      lastSeqSeen = std::max(lastSeqSeen, a.seq);
    }
    CHECK(engine->lastSeq() >= lastSeqSeen);
    auto problem = storeProblem(engine->store());
    INFO((problem ? *problem : std::string("no problem")));
    CHECK_FALSE(problem);
    // The stream index agrees with the log for every acknowledged stream.
    for (const auto& a : acks) {
      if (a.stream == "-") continue;
      auto seqs = ev::streamSequences(engine->store(), a.stream);
      REQUIRE(seqs.size() >= a.version);
      CHECK(seqs[a.version - 1] == a.seq);
    }
  }
  CHECK(acked.size() >= 5);
}
