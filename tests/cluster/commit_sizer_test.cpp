// CommitSizer (cluster/commit_codec.h): what a writer counts to close a commit before it outgrows
// the stream's limit is never less than the size of the encoding, and close to it.
#include <catch2/catch.hpp>
#include <random>

#include "cluster/commit_codec.h"
#include "events/digest.h"

namespace pitlog::cluster {
namespace {

// The encoder takes an event's bytes as they are (only decoding checks them): any length tests
// the padding.
std::vector<CommittedEvent> someEvents(size_t n, std::mt19937& rng) {
  std::vector<CommittedEvent> out;
  for (size_t i = 0; i < n; ++i) {
    std::string bytes(1 + rng() % 300, char('a' + i % 26));
    out.push_back({i + 1, events::sha256(bytes), bytes});
  }
  return out;
}

TEST_CASE("CommitSizer is never below the encoded size and exact for events with records") {
  std::mt19937 rng(42);
  for (int round = 0; round < 200; ++round) {
    Commit c;
    c.node = std::string(rng() % 40, 'n');
    c.events = someEvents(rng() % 20, rng);
    const size_t records = rng() % 5;
    for (size_t i = 0; i < records; ++i) {
      c.idempotency.push_back({std::string(1 + rng() % 60, 'k'), std::string(1 + rng() % 90, 'r')});
    }
    CommitSizer sizer(c.node.size());
    for (const auto& e : c.events) sizer.addEvent(e.bytes.size());
    for (const auto& i : c.idempotency) sizer.addIdempotency(i.key.size(), i.record.size());
    const size_t encoded = encodeCommit(c).size();
    INFO("events " << c.events.size() << ", records " << c.idempotency.size());
    CHECK(sizer.bytes() >= encoded);
    CHECK(sizer.bytes() <= encoded + 16);
    if (!c.events.empty() && !c.idempotency.empty()) CHECK(sizer.bytes() == encoded);
  }
}

}  // namespace
}  // namespace pitlog::cluster
