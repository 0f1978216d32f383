// The engine's group commit under a log with a commit size limit (CommitLog::maxCommitBytes(), as
// the JetStream log has): however many large commands arrive at once, no commit the engine hands
// to the log is over the limit - the writer closes a batch early and the rest start the next one -
// and every command is answered. A fake log over the local one, whose slow appends make the writer
// gather big batches meanwhile.
#include <catch2/catch.hpp>
#include <future>
#include <mutex>
#include <thread>

#include "cluster/commit_codec.h"
#include "commands/local_commit_log.h"
#include "core_support.h"
#include "support/temp_dir.h"

using namespace pitlog;
using namespace pitlog::coretest;
using pitlog::testing::TempDir;

namespace {

constexpr size_t kLimit = 64 * 1024;

struct Appends {
  std::mutex mu;
  std::vector<size_t> encodedSizes;
  std::vector<size_t> events;
};

class LimitedLog : public commands::LocalCommitLog {
 public:
  LimitedLog(const events::Store& store, Appends& appends)
      : LocalCommitLog(store), appends_(appends) {}
  size_t maxCommitBytes() const override { return kLimit; }
  commands::AppendOutcome append(const commands::Commit& commit, uint64_t expected,
                                 const std::string& msgId) override {
    {
      std::lock_guard lock(appends_.mu);
      appends_.encodedSizes.push_back(cluster::encodeCommit(commit).size());
      appends_.events.push_back(commit.events.size());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(3));  // a round trip to a stream
    return LocalCommitLog::append(commit, expected, msgId);
  }

 private:
  Appends& appends_;
};

}  // namespace

TEST_CASE("group commit never hands the log a commit over its size limit, and answers everyone") {
  TempDir dir("pitlog-commit-cap");
  FakeClock clock;
  Appends appends;
  auto options = engineOptions(dir.str(), clock);
  options.log = [&appends](events::Store& store) {
    return std::make_unique<LimitedLog>(store, appends);
  };
  auto engine = commands::Engine::open(std::move(options));

  // 400 creates of about 1.2 KB of events each: 480 KB, over seven times the limit.
  constexpr int kCommands = 400;
  const std::string description(1000, 'd');
  std::vector<std::future<commands::CommandResult>> answers;
  for (int i = 0; i < kCommands; ++i) {
    auto promise = std::make_shared<std::promise<commands::CommandResult>>();
    answers.push_back(promise->get_future());
    engine->submit(
        command("acct-1", adminActor("acct-1"),
                createAction("n" + std::to_string(i), {"contacts.readonly"}, description)),
        [promise](commands::CommandResult r) { promise->set_value(std::move(r)); });
  }
  int ok = 0;
  for (auto& a : answers) ok += a.get().ok() ? 1 : 0;
  CHECK(ok == kCommands);
  engine->stop();

  std::lock_guard lock(appends.mu);
  size_t largest = 0, mostEvents = 0, events = 0;
  for (size_t s : appends.encodedSizes) largest = std::max(largest, s);
  for (size_t e : appends.events) {
    mostEvents = std::max(mostEvents, e);
    events += e;
  }
  INFO("commits " << appends.encodedSizes.size() << ", largest " << largest << " bytes");
  CHECK(largest <= kLimit);
  CHECK(events == engine->lastSeq());
  // Group commit still gathers: some commit holds many commands' events.
  CHECK(mostEvents > 10);
  CHECK(storeProblem(engine->store()) == std::nullopt);
}
