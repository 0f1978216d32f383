// Cluster mode's log across server failures: a kill -9 of the stream leader of a three-server
// cluster under concurrent fenced publishes, and a restart of the only server. What must hold:
// every acknowledged commit is in the stream once, at the sequence its ack named, and a reader
// delivers all of them in order.
#include <nats/nats.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <variant>

#include "cluster/commit_publisher.h"
#include "cluster/commit_reader.h"
#include "cluster/commit_stream.h"
#include "support/cluster_fixture.h"
#include "support/temp_dir.h"

namespace pitlog::cluster {
namespace {

using testing::NatsCluster;
using testing::TempDir;
using namespace std::chrono_literals;

// The stream's last sequence, asking again while the cluster elects a leader.
uint64_t lastSequenceWithRetry(const NatsConnection& conn) {
  for (int attempt = 1;; ++attempt) {
    try {
      return streamLastSequence(conn, "PITLOG");
    } catch (const NatsError&) {
      if (attempt == 100) throw;
      std::this_thread::sleep_for(100ms);
    }
  }
}

// Publishes `payload` as a writer does: with the sequence it believes last, the same msg id on
// every retry, catching up on a wrong last sequence. Returns the acknowledged sequence.
uint64_t publishUntilAcked(const CommitPublisher& publisher, const NatsConnection& conn,
                           const std::string& payload, uint64_t& expected) {
  for (;;) {
    auto outcome = publisher.publish(payload, expected, payload);
    if (auto* s = std::get_if<Stored>(&outcome)) return s->seq;
    if (auto* d = std::get_if<Duplicate>(&outcome)) return d->seq;
    if (std::holds_alternative<WrongLastSequence>(outcome)) {
      expected = lastSequenceWithRetry(conn);
    } else {
      std::this_thread::sleep_for(50ms);  // Unavailable: same expectation, same msg id
    }
  }
}

int serverIndex(const std::string& name) { return std::stoi(name.substr(1)) - 1; }  // "n2" -> 1

TEST_CASE("every acknowledged commit is read in order across a kill -9 of the stream leader") {
  TempDir dir("pitlog-nats");
  NatsCluster nats(dir.path(), 3);
  NatsConnection admin(testing::connectOptions(nats.urls(), "admin"));
  REQUIRE(ensureStream(admin, {"PITLOG", 3}) == StreamState::created);

  constexpr int kWriters = 4, kCommitsEach = 25;
  std::mutex mu;
  std::map<uint64_t, std::string> acked;  // seq -> payload, as the acks said
  std::vector<std::string> failures;
  std::atomic<int> ackedCount{0};

  // Two connections, each starting on another server and shared by two writers (a publisher
  // may be used from several threads at once).
  std::vector<std::unique_ptr<NatsConnection>> conns;
  std::vector<std::unique_ptr<CommitPublisher>> publishers;
  for (int c = 0; c < 2; ++c) {
    auto urls = nats.urls();
    std::rotate(urls.begin(), urls.begin() + c, urls.end());
    conns.push_back(std::make_unique<NatsConnection>(
        testing::connectOptions(urls, "writers" + std::to_string(c))));
    publishers.push_back(std::make_unique<CommitPublisher>(*conns.back(), "PITLOG"));
  }

  auto writer = [&](int w) {
    try {
      const NatsConnection& conn = *conns[size_t(w % 2)];
      const CommitPublisher& publisher = *publishers[size_t(w % 2)];
      uint64_t expected = lastSequenceWithRetry(conn);
      for (int k = 0; k < kCommitsEach; ++k) {
        const std::string payload = "w" + std::to_string(w) + "-" + std::to_string(k);
        const uint64_t seq = publishUntilAcked(publisher, conn, payload, expected);
        expected = seq;
        std::lock_guard lock(mu);
        if (!acked.emplace(seq, payload).second) {
          failures.push_back("seq " + std::to_string(seq) + " acknowledged twice");
        }
        ++ackedCount;
      }
    } catch (const std::exception& e) {
      std::lock_guard lock(mu);
      failures.push_back(std::string("writer: ") + e.what());
    }
  };

  std::vector<StreamCommit> delivered;
  std::atomic<bool> writersDone{false};
  std::thread reader([&] {
    try {
      NatsConnection conn(testing::connectOptions(nats.urls(), "reader"));
      CommitReader r(conn, "PITLOG", 0);
      const auto deadline = std::chrono::steady_clock::now() + 60s;
      while (std::chrono::steady_clock::now() < deadline &&
             !(writersDone && r.position() >= uint64_t(kWriters * kCommitsEach))) {
        for (auto& c : r.poll(200ms)) delivered.push_back(std::move(c));
      }
    } catch (const std::exception& e) {
      std::lock_guard lock(mu);
      failures.push_back(std::string("reader: ") + e.what());
    }
  });

  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) writers.emplace_back(writer, w);

  // Kill the stream's leader once a third of the commits are in.
  while (ackedCount < kWriters * kCommitsEach / 3 && failures.empty())
    std::this_thread::sleep_for(5ms);
  jsStreamInfo* si = nullptr;
  REQUIRE(js_GetStreamInfo(&si, admin.jetStream(), "PITLOG", nullptr, nullptr) == NATS_OK);
  const std::string leader =
      si->Cluster != nullptr && si->Cluster->Leader ? si->Cluster->Leader : "";
  jsStreamInfo_Destroy(si);
  REQUIRE_FALSE(leader.empty());
  nats.kill(serverIndex(leader));
  const int ackedAtKill = ackedCount;

  for (auto& t : writers) t.join();
  writersDone = true;
  reader.join();

  INFO("killed " << leader << " after " << ackedAtKill << " acknowledged commits");
  for (const auto& f : failures) FAIL_CHECK(f);
  REQUIRE(failures.empty());
  REQUIRE(acked.size() == size_t(kWriters * kCommitsEach));
  CHECK(ackedAtKill < kWriters * kCommitsEach);  // the kill happened under load

  // The stream holds exactly the acknowledged commits: nothing lost, nothing stored twice.
  NatsConnection check(testing::connectOptions(nats.urls(), "check"));
  CHECK(lastSequenceWithRetry(check) == uint64_t(kWriters * kCommitsEach));
  REQUIRE(delivered.size() == size_t(kWriters * kCommitsEach));
  std::set<std::string> payloads;
  for (size_t i = 0; i < delivered.size(); ++i) {
    CHECK(delivered[i].seq == i + 1);
    CHECK(acked.at(delivered[i].seq) == delivered[i].bytes);
    CHECK(payloads.insert(delivered[i].bytes).second);
  }
}

TEST_CASE("the publisher and the reader carry on after the only server restarts") {
  TempDir dir("pitlog-nats");
  NatsCluster nats(dir.path(), 1);
  NatsConnection conn(testing::connectOptions(nats.urls()));
  REQUIRE(ensureStream(conn, {"PITLOG", 1}) == StreamState::created);
  CommitPublisher publisher(conn, "PITLOG");
  for (uint64_t i = 0; i < 3; ++i) {
    REQUIRE(testing::storedSeq(publisher.publish("c" + std::to_string(i + 1), i,
                                                 "c" + std::to_string(i + 1))) == i + 1);
  }
  CommitReader reader(conn, "PITLOG", 0);
  REQUIRE(testing::readUntil(reader, 3).size() == 3);
  CHECK(reader.poll(100ms).empty());  // caught up: heard
  const auto heardBeforeKill = reader.lastHeard();

  nats.kill(0);
  // No answer: the commit may or may not be stored, the writer cannot know.
  auto lost = publisher.publish("c4", 3, "c4");
  CHECK(std::holds_alternative<Unavailable>(lost));
  CHECK(reader.poll(200ms).empty());
  CHECK_FALSE(reader.connected());
  CHECK(reader.lastHeard() == heardBeforeKill);  // nothing heard from a dead stream

  nats.restart(0);
  // The retry with the same msg id stores c4 once, whether or not the lost publish got through.
  uint64_t expected = 3;
  const uint64_t seq4 = publishUntilAcked(publisher, conn, "c4", expected);
  CHECK(seq4 == 4);
  CHECK(testing::storedSeq(publisher.publish("c5", 4, "c5")) == 5);
  CHECK(reader.connected());

  auto after = testing::readUntil(reader, 5);
  REQUIRE(after.size() == 2);
  CHECK(after[0].seq == 4);
  CHECK(after[0].bytes == "c4");
  CHECK(after[1].bytes == "c5");
  CHECK(reader.lastHeard() > heardBeforeKill);
  CHECK(streamLastSequence(conn, "PITLOG") == 5);
}

}  // namespace
}  // namespace pitlog::cluster
