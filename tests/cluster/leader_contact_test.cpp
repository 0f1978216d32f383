// Which stream-info answers count as observations of the stream's end (commit_stream.h,
// leaderHeardFromMajority): only a leader that heard from a majority of the replicas, itself
// included, within the bound - a leader resumed after a pause shows long-silent followers.
#include <nats/nats.h>

#include <catch2/catch.hpp>
#include <vector>

#include "cluster/commit_stream.h"

namespace pitlog::cluster {
namespace {

using namespace std::chrono_literals;

struct Peer {
  bool current;
  bool offline;
  std::chrono::milliseconds active;  // since the leader last heard from it
};

bool heardFromMajority(const std::vector<Peer>& followers, const char* leader = "n1",
                       const std::vector<const char*>& names = {"n2", "n3", "n4", "n5"}) {
  std::vector<jsPeerInfo> infos;
  for (const auto& p : followers) {
    jsPeerInfo info{};
    info.Current = p.current;
    info.Offline = p.offline;
    info.Active = std::chrono::nanoseconds(p.active).count();
    info.Name = const_cast<char*>(names.at(infos.size()));
    infos.push_back(info);
  }
  std::vector<jsPeerInfo*> pointers;
  for (auto& info : infos) pointers.push_back(&info);
  jsClusterInfo cluster{};
  cluster.Leader = const_cast<char*>(leader);
  cluster.Replicas = pointers.data();
  cluster.ReplicasLen = int(pointers.size());
  return leaderHeardFromMajority(&cluster, 2000ms);
}

TEST_CASE("a leader that heard from every follower lately vouches for the stream's end") {
  CHECK(heardFromMajority({{true, false, 300ms}, {true, false, 900ms}}));
}

TEST_CASE("a leader that heard from one of two followers lately still has a majority") {
  CHECK(heardFromMajority({{true, false, 300ms}, {false, true, 60000ms}}));
}

TEST_CASE("a leader resumed after a pause, its followers silent for seconds, vouches for nothing") {
  CHECK_FALSE(heardFromMajority({{true, false, 7000ms}, {true, false, 7100ms}}));
  CHECK_FALSE(heardFromMajority({{true, false, 2000ms}, {true, false, 2000ms}}));  // the bound
}

TEST_CASE("followers that are offline or not current do not count, however recent") {
  CHECK_FALSE(heardFromMajority({{false, false, 100ms}, {true, true, 100ms}}));
}

TEST_CASE("five replicas need the leader and two recent followers") {
  CHECK(heardFromMajority({{true, false, 100ms}, {true, false, 100ms}, {true, false, 9000ms},
                           {false, true, 0ms}}));
  CHECK_FALSE(heardFromMajority({{true, false, 100ms}, {true, false, 9000ms},
                                 {true, false, 9000ms}, {false, true, 0ms}}));
}

TEST_CASE("an answer whose peers include the leader it names came from another replica: refused") {
  // n2 answers, naming n3 the leader, and lists n3 among its peers (measured on a resumed old
  // leader as it steps down, its new leader's messages just heard).
  CHECK_FALSE(heardFromMajority({{true, false, 0ms}, {false, false, 5000ms}}, "n3", {"n3", "n1"}));
  CHECK(heardFromMajority({{true, false, 0ms}, {false, false, 5000ms}}, "n2", {"n3", "n1"}));
}

TEST_CASE("a stream with one replica has no followers to hear from: its leader is the stream") {
  CHECK(leaderHeardFromMajority(nullptr, 2000ms));
  CHECK(heardFromMajority({}));
}

}  // namespace
}  // namespace pitlog::cluster
