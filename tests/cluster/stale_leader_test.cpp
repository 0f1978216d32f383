// A stream leader that was stopped (SIGSTOP, as behind a partition) while the other servers
// elected a new one and stored more, then resumed: until it hears of the new term it still
// believes it leads and answers stream info with its old last sequence. A node reading that
// answer as "the stream ends here now" would call itself current while missing commits (a revoked
// token still active). What must hold: such an answer is never taken as an observation.
#include <nats/nats.h>
#include <signal.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <thread>
#include <variant>

#include "cluster/commit_publisher.h"
#include "cluster/commit_stream.h"
#include "support/cluster_fixture.h"
#include "support/nats_cluster.h"
#include "support/temp_dir.h"

namespace pitlog::cluster {
namespace {

using testing::NatsCluster;
using testing::TempDir;
using namespace std::chrono_literals;

std::string streamLeader(const NatsConnection& conn) {
  jsStreamInfo* si = nullptr;
  if (js_GetStreamInfo(&si, conn.jetStream(), "PITLOG", nullptr, nullptr) != NATS_OK) return "";
  std::string leader = si->Cluster != nullptr && si->Cluster->Leader ? si->Cluster->Leader : "";
  jsStreamInfo_Destroy(si);
  return leader;
}

TEST_CASE("a resumed stream leader's stale answer is never observed as the stream's end") {
  TempDir dir("pitlog-nats");
  NatsCluster nats(dir.path(), 3);
  NatsConnection admin(testing::connectOptions(nats.urls(), "admin"));
  REQUIRE(ensureStream(admin, {"PITLOG", 3}) == StreamState::created);
  CommitPublisher adminPublisher(admin, "PITLOG");
  REQUIRE(testing::storedSeq(adminPublisher.publish("first", 0, "first")) == 1);

  std::string leader;
  for (int i = 0; i < 100 && leader.empty(); ++i, std::this_thread::sleep_for(50ms))
    leader = streamLeader(admin);
  REQUIRE_FALSE(leader.empty());
  const int stale = std::stoi(leader.substr(1)) - 1;  // "n2" -> 1
  INFO("the stream's leader was " << leader);

  // A client of the leader's server only, and a writer on the two others.
  NatsConnection viaStale(testing::connectOptions({nats.url(stale)}, "via-stale"));
  std::vector<std::string> others;
  for (int i = 0; i < nats.size(); ++i)
    if (i != stale) others.push_back(nats.url(i));
  NatsConnection viaOthers(testing::connectOptions(others, "via-others"));
  CommitPublisher publisher(viaOthers, "PITLOG");

  // Asks through the stopped server all along: a request sent while it is stopped waits in its
  // socket and is answered (by the old leader, from its old state) once it resumes.
  using Clock = std::chrono::steady_clock;
  std::atomic<bool> asking{true};
  std::mutex mu;
  std::vector<std::pair<Clock::time_point, uint64_t>> answers;  // (asked at, last sequence)
  std::thread asker([&] {
    while (asking) {
      const auto askedAt = Clock::now();
      try {
        if (auto last = observeStreamEnd(viaStale, "PITLOG")) {
          std::lock_guard lock(mu);
          answers.emplace_back(askedAt, *last);
        }
      } catch (const NatsError&) {
        std::this_thread::sleep_for(5ms);  // no answer: nothing observed
      }
    }
  });

  REQUIRE(::kill(nats.pid(stale), SIGSTOP) == 0);
  // The others elect a new leader and store a second commit.
  uint64_t stored = 0;
  const auto start = Clock::now();
  while (stored == 0 && Clock::now() - start < 60s) {
    auto outcome = publisher.publish("second", 1, "second");
    if (auto* s = std::get_if<Stored>(&outcome)) stored = s->seq;
    if (auto* d = std::get_if<Duplicate>(&outcome)) stored = d->seq;
    if (stored == 0) std::this_thread::sleep_for(100ms);
  }
  const auto storedAt = Clock::now();
  // Let requests sent after the second commit wait in the stopped server's socket.
  std::this_thread::sleep_for(1s);
  ::kill(nats.pid(stale), SIGCONT);
  std::this_thread::sleep_for(3s);
  asking = false;
  asker.join();
  REQUIRE(stored == 2);

  int staleAnswers = 0, laterAnswers = 0;
  for (const auto& [askedAt, last] : answers) {
    if (askedAt < storedAt) continue;
    ++laterAnswers;
    if (last < stored) ++staleAnswers;
  }
  INFO(answers.size() << " answers, " << laterAnswers << " asked after the second commit");
  CHECK(staleAnswers == 0);
  CHECK(laterAnswers > 0);  // once the old leader stepped down, answers are taken again
}

}  // namespace
}  // namespace pitlog::cluster
