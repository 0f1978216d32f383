// The commit encoding (src/cluster/commit_codec.h): what one JetStream message carries, and the
// checks that bytes read from the stream must pass before any node applies them.
#include "cluster/commit_codec.h"

#include <catch2/catch.hpp>
#include <cstring>

#include "events/event.h"

namespace pitlog::cluster {
namespace {

// A commit of `count` chained events from seq `first`, after the chain head `prev`.
Commit chainedCommit(uint64_t first, size_t count, events::Digest prev = {}) {
  Commit commit;
  commit.node = "node-a";
  for (size_t i = 0; i < count; ++i) {
    events::NewEvent event{"perm:acme", "acme",
                           events::body::PermissionChanged{"user" + std::to_string(i), true}};
    events::Envelope envelope;
    envelope.seq = first + i;
    envelope.streamVersion = uint32_t(i + 1);
    envelope.eventId[0] = uint8_t(i + 1);
    envelope.at = 1700000000000 + int64_t(i);
    envelope.actor = events::Actor{"acme", "admin", events::Role::admin};
    envelope.requestId = "req-" + std::to_string(i);
    envelope.prevHash = prev;
    std::string bytes = events::encodeEvent(event, envelope);
    events::Digest hash = events::chainHash(prev, bytes);
    commit.events.push_back({envelope.seq, hash, std::move(bytes)});
    prev = hash;
  }
  commit.idempotency.push_back({std::string("acme\0key-1", 10), "record-1"});
  return commit;
}

std::string decodeError(std::string_view bytes) {
  std::string error;
  auto decoded = decodeCommit(bytes, &error);
  CHECK_FALSE(decoded.has_value());
  return error;
}

TEST_CASE("a commit survives encoding and decoding unchanged") {
  Commit commit = chainedCommit(41, 3, events::sha256("the head before"));
  commit.idempotency.push_back({std::string("acme\0key-2", 10), "record-2"});
  std::string error;
  auto decoded = decodeCommit(encodeCommit(commit), &error);
  INFO(error);
  REQUIRE(decoded.has_value());
  CHECK(*decoded == commit);
}

TEST_CASE("a commit of idempotency records alone is accepted but an empty commit is not") {
  Commit onlyRecords;
  onlyRecords.idempotency.push_back({"acme\0k", "r"});
  std::string error;
  CHECK(decodeCommit(encodeCommit(onlyRecords), &error).has_value());
  CHECK(decodeError(encodeCommit(Commit{})) == "the commit is empty");
}

TEST_CASE("decoding refuses events that do not form a chain") {
  SECTION("a gap in the seqs") {
    Commit c = chainedCommit(1, 3);
    c.events.erase(c.events.begin() + 1);
    CHECK_THAT(decodeError(encodeCommit(c)), Catch::Contains("does not follow seq 1"));
  }
  SECTION("events out of order") {
    Commit c = chainedCommit(1, 2);
    std::swap(c.events[0], c.events[1]);
    CHECK_THAT(decodeError(encodeCommit(c)), Catch::Contains("does not follow"));
  }
  SECTION("a declared seq that is not the event's own") {
    Commit c = chainedCommit(5, 1);
    c.events[0].seq = 6;
    CHECK_THAT(decodeError(encodeCommit(c)), Catch::Contains("its bytes hold seq 5"));
  }
  SECTION("a hash that does not match the bytes") {
    Commit c = chainedCommit(1, 2);
    c.events[1].hash[0] ^= 1;
    CHECK_THAT(decodeError(encodeCommit(c)), Catch::Contains("its hash does not match"));
  }
  SECTION("a second event whose prevHash is not the first one's hash") {
    Commit c = chainedCommit(1, 2);
    Commit other = chainedCommit(1, 2, events::sha256("another head"));
    c.events[1] = other.events[1];
    CHECK_THAT(decodeError(encodeCommit(c)), Catch::Contains("prevHash is not the hash"));
  }
  SECTION("event bytes that are not an event") {
    Commit c = chainedCommit(1, 1);
    c.events[0].bytes = std::string(16, 'x');
    CHECK_THAT(decodeError(encodeCommit(c)), Catch::Contains("unreadable"));
  }
}

TEST_CASE("decoding refuses malformed fields") {
  Commit c = chainedCommit(1, 1);
  SECTION("an empty idempotency key") {
    c.idempotency[0].key.clear();
    CHECK_THAT(decodeError(encodeCommit(c)), Catch::Contains("idempotency entry"));
  }
  SECTION("an empty idempotency record") {
    c.idempotency[0].record.clear();
    CHECK_THAT(decodeError(encodeCommit(c)), Catch::Contains("idempotency entry"));
  }
  SECTION("a node name of 257 bytes") {
    c.node = std::string(257, 'n');
    CHECK_THAT(decodeError(encodeCommit(c)), Catch::Contains("node name"));
  }
}

TEST_CASE("decoding refuses bytes that are not one canonical commit message") {
  const std::string good = encodeCommit(chainedCommit(1, 2));
  SECTION("empty") { CHECK(decodeError("") == "the commit is not a readable message"); }
  SECTION("cut short") { CHECK_FALSE(decodeError(good.substr(0, good.size() - 8)).empty()); }
  SECTION("not a whole number of words") {
    CHECK(decodeError(good.substr(0, good.size() - 3)) == "the commit is not a readable message");
  }
  SECTION("a trailing word the decoder would skip") {
    CHECK(decodeError(good + std::string(8, '\0')) == "the commit is not in canonical form");
  }
  SECTION("over the size limit") {
    CHECK_THAT(decodeError(std::string(kMaxCommitBytes + 8, '\0')),
               Catch::Contains("over the limit"));
  }
  SECTION("a list that claims half a billion elements in 40 bytes") {
    // Root: a Commit (0 data words, 3 pointers); its events pointer targets a composite list
    // whose tag claims 2^29-1 elements of zero words each.
    uint64_t words[5] = {};
    words[0] = uint64_t(3) << 48;                    // struct pointer, offset 0, 0 data, 3 ptrs
    words[1] = (uint64_t(7) << 32) | (2u << 2) | 1;  // list pointer, offset 2, composite, 0 words
    words[4] = uint64_t(0x1FFFFFFFu) << 2;           // tag: the element count, 0-sized elements
    std::string bytes(sizeof(words), '\0');
    std::memcpy(bytes.data(), words, sizeof(words));
    CHECK_FALSE(decodeError(bytes).empty());
  }
}

}  // namespace
}  // namespace pitlog::cluster
