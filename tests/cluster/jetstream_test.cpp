// The JetStream layer of cluster mode against one real nats-server: the stream's set-up and its
// safety checks, the fenced publish and its outcomes, and the ordered reader.
#include <nats/nats.h>

#include <catch2/catch.hpp>
#include <memory>
#include <variant>

#include "cluster/commit_codec.h"
#include "cluster/commit_publisher.h"
#include "cluster/commit_reader.h"
#include "cluster/commit_stream.h"
#include "support/cluster_fixture.h"
#include "support/temp_dir.h"

namespace pitlog::cluster {
namespace {

using testing::NatsCluster;
using testing::TempDir;

struct StreamInfoDeleter {
  void operator()(jsStreamInfo* si) const { jsStreamInfo_Destroy(si); }
};

std::unique_ptr<jsStreamInfo, StreamInfoDeleter> streamInfo(const NatsConnection& conn,
                                                            const std::string& name) {
  jsStreamInfo* si = nullptr;
  REQUIRE(js_GetStreamInfo(&si, conn.jetStream(), name.c_str(), nullptr, nullptr) == NATS_OK);
  return std::unique_ptr<jsStreamInfo, StreamInfoDeleter>(si);
}

TEST_CASE("ensureStream creates a stream that cannot lose history and then accepts it as it is") {
  TempDir dir("pitlog-nats");
  NatsCluster nats(dir.path(), 1);
  NatsConnection conn(testing::connectOptions(nats.urls()));

  CHECK(ensureStream(conn, {"PITLOG", 1}) == StreamState::created);
  auto si = streamInfo(conn, "PITLOG");
  const jsStreamConfig& c = *si->Config;
  CHECK(c.Storage == js_FileStorage);
  CHECK(c.Replicas == 1);
  CHECK(c.Retention == js_LimitsPolicy);
  CHECK(c.MaxMsgs == -1);
  CHECK(c.MaxBytes == -1);
  CHECK(c.MaxAge == 0);
  CHECK(c.MaxMsgsPerSubject == -1);
  CHECK(c.DenyDelete);
  CHECK(c.DenyPurge);
  CHECK_FALSE(c.AllowRollup);
  REQUIRE(c.SubjectsLen == 1);
  CHECK(std::string(c.Subjects[0]) == "PITLOG.commits");

  // The server enforces it: a stored commit can be neither deleted nor purged.
  CommitPublisher publisher(conn, "PITLOG");
  REQUIRE(std::holds_alternative<Stored>(publisher.publish("c1", 0, "id-1")));
  CHECK(js_DeleteMsg(conn.jetStream(), "PITLOG", 1, nullptr, nullptr) != NATS_OK);
  CHECK(js_PurgeStream(conn.jetStream(), "PITLOG", nullptr, nullptr) != NATS_OK);
  CHECK(streamLastSequence(conn, "PITLOG") == 1);

  CHECK(ensureStream(conn, {"PITLOG", 1}) == StreamState::existing);
}

TEST_CASE("ensureStream refuses an existing stream that could lose history and names the setting") {
  TempDir dir("pitlog-nats");
  NatsCluster nats(dir.path(), 1);
  NatsConnection conn(testing::connectOptions(nats.urls()));

  struct Case {
    const char* setting;
    void (*spoil)(jsStreamConfig&);
  };
  const Case cases[] = {
      {"max_age", [](jsStreamConfig& c) { c.MaxAge = int64_t(3600) * 1000000000; }},
      {"max_msgs", [](jsStreamConfig& c) { c.MaxMsgs = 1000; }},
      {"max_bytes", [](jsStreamConfig& c) { c.MaxBytes = 1 << 30; }},
      {"max_msgs_per_subject", [](jsStreamConfig& c) { c.MaxMsgsPerSubject = 10; }},
      {"deny_delete", [](jsStreamConfig& c) { c.DenyDelete = false; }},
      {"deny_purge", [](jsStreamConfig& c) { c.DenyPurge = false; }},
      {"allow_rollup_hdrs",
       [](jsStreamConfig& c) {
         c.AllowRollup = true;
         c.DenyPurge = false;  // the server allows roll-ups only with purges
       }},
      {"storage", [](jsStreamConfig& c) { c.Storage = js_MemoryStorage; }},
      {"retention", [](jsStreamConfig& c) { c.Retention = js_InterestPolicy; }},
  };
  int n = 0;
  for (const auto& k : cases) {
    DYNAMIC_SECTION(k.setting) {
      const std::string name = "UNSAFE" + std::to_string(++n);
      const std::string subject = commitSubject(name);
      const char* subjects[] = {subject.c_str()};
      jsStreamConfig c;
      jsStreamConfig_Init(&c);
      c.Name = name.c_str();
      c.Subjects = subjects;
      c.SubjectsLen = 1;
      c.Storage = js_FileStorage;
      c.DenyDelete = true;
      c.DenyPurge = true;
      k.spoil(c);
      jsStreamInfo* si = nullptr;
      REQUIRE(js_AddStream(&si, conn.jetStream(), &c, nullptr, nullptr) == NATS_OK);
      jsStreamInfo_Destroy(si);

      try {
        (void)ensureStream(conn, {name, 1});
        FAIL("an unsafe stream was accepted");
      } catch (const UnsafeStreamError& e) {
        CHECK(e.setting() == k.setting);
        CHECK_THAT(e.what(), Catch::Contains(name) && Catch::Contains(k.setting));
      }
    }
  }
}

TEST_CASE("publishes are fenced by the expected last sequence and deduplicated by msg id") {
  TempDir dir("pitlog-nats");
  NatsCluster nats(dir.path(), 1);
  NatsConnection conn(testing::connectOptions(nats.urls()));
  REQUIRE(ensureStream(conn, {"PITLOG", 1}) == StreamState::created);
  CommitPublisher publisher(conn, "PITLOG");
  CHECK(streamLastSequence(conn, "PITLOG") == 0);

  SECTION("on an empty stream, expecting 0 stores seq 1, and the next expects 1") {
    CHECK(testing::storedSeq(publisher.publish("c1", 0, "a")) == 1);
    CHECK(testing::storedSeq(publisher.publish("c2", 1, "b")) == 2);
    CHECK(streamLastSequence(conn, "PITLOG") == 2);
  }
  SECTION("expecting 0 on a stream that has a commit is a wrong last sequence") {
    REQUIRE(testing::storedSeq(publisher.publish("c1", 0, "a")) == 1);
    CHECK(std::holds_alternative<WrongLastSequence>(publisher.publish("late", 0, "b")));
    CHECK(streamLastSequence(conn, "PITLOG") == 1);
  }
  SECTION("a stale expectation is a wrong last sequence and stores nothing") {
    REQUIRE(testing::storedSeq(publisher.publish("c1", 0, "a")) == 1);
    REQUIRE(testing::storedSeq(publisher.publish("c2", 1, "b")) == 2);
    auto outcome = publisher.publish("stale", 1, "c");
    REQUIRE(std::holds_alternative<WrongLastSequence>(outcome));
    CHECK_THAT(std::get<WrongLastSequence>(outcome).detail, Catch::Contains("wrong last sequence"));
    CHECK(streamLastSequence(conn, "PITLOG") == 2);
  }
  SECTION("a retry with the same msg id is a duplicate of the original, whatever it expects") {
    REQUIRE(testing::storedSeq(publisher.publish("c1", 0, "a")) == 1);
    REQUIRE(testing::storedSeq(publisher.publish("c2", 1, "b")) == 2);
    for (uint64_t expected : {uint64_t(0), uint64_t(1), uint64_t(2)}) {
      auto outcome = publisher.publish("c1", expected, "a");
      REQUIRE(std::holds_alternative<Duplicate>(outcome));
      CHECK(std::get<Duplicate>(outcome).seq == 1);
    }
    CHECK(streamLastSequence(conn, "PITLOG") == 2);
  }
  SECTION("a commit over the size cap is refused before it is sent") {
    CHECK_THROWS_AS(publisher.publish(std::string(kMaxCommitBytes + 1, 'x'), 0, "big"),
                    std::invalid_argument);
    CHECK(testing::storedSeq(publisher.publish(std::string(kMaxCommitBytes, 'x'), 0, "max")) == 1);
  }
}

TEST_CASE("the reader delivers commits in stream order from the position after its start") {
  TempDir dir("pitlog-nats");
  NatsCluster nats(dir.path(), 1);
  NatsConnection conn(testing::connectOptions(nats.urls()));
  REQUIRE(ensureStream(conn, {"PITLOG", 1}) == StreamState::created);
  CommitPublisher publisher(conn, "PITLOG");
  for (uint64_t i = 0; i < 10; ++i) {
    REQUIRE(testing::storedSeq(publisher.publish("commit " + std::to_string(i + 1), i,
                                                 "id-" + std::to_string(i + 1))) == i + 1);
  }

  CommitReader fromStart(conn, "PITLOG", 0);
  auto all = testing::readUntil(fromStart, 10);
  REQUIRE(all.size() == 10);
  for (size_t i = 0; i < all.size(); ++i) {
    CHECK(all[i].seq == i + 1);
    CHECK(all[i].bytes == "commit " + std::to_string(i + 1));
  }

  CommitReader fromSeven(conn, "PITLOG", 7);
  auto rest = testing::readUntil(fromSeven, 10);
  REQUIRE(rest.size() == 3);
  CHECK(rest[0].seq == 8);
  CHECK(rest[2].bytes == "commit 10");

  // Caught up: a poll that finds nothing has the stream confirm the end, which is "heard".
  const auto before = fromSeven.lastHeard();
  CHECK(fromSeven.poll(std::chrono::milliseconds(100)).empty());
  CHECK(fromSeven.lastHeard() > before);
  CHECK(fromSeven.position() == 10);

  // A commit published later is delivered next.
  REQUIRE(testing::storedSeq(publisher.publish("commit 11", 10, "id-11")) == 11);
  auto next = testing::readUntil(fromSeven, 11);
  REQUIRE(next.size() == 1);
  CHECK(next[0].seq == 11);
}

}  // namespace
}  // namespace pitlog::cluster
