// SortedFamily against std::map as the model: the same random puts, overwrites and erasures must
// leave the same contents, in the same (bytewise) key order, whether reads come between the
// writes (each sorting what was written since) or only at the end.
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <string>

#include "projections/sorted_family.h"

using pitlog::projections::SortedFamily;

namespace {

std::map<std::string, std::string> contents(const SortedFamily& t) {
  std::map<std::string, std::string> out;
  std::string previous;
  bool first = true;
  t.forEach([&](std::string_view k, std::string_view v) {
    CHECK((first || previous < k));  // strictly ascending: key order, no key twice
    previous = k;
    first = false;
    out.emplace(std::string(k), std::string(v));
  });
  return out;
}

}  // namespace

TEST_CASE("sorted family: put, overwrite, find and erase behave as a map") {
  SortedFamily t;
  CHECK_FALSE(t.find("a"));
  t.erase("a");
  CHECK_FALSE(t.find("a"));
  t.put("a", "1");
  t.put("", "empty key");
  t.put("b", "");
  CHECK(t.find("a") == std::optional<std::string_view>("1"));
  CHECK(t.find("") == std::optional<std::string_view>("empty key"));
  CHECK(t.find("b") == std::optional<std::string_view>(""));
  t.put("a", "a longer value than before");
  CHECK(t.find("a") == std::optional<std::string_view>("a longer value than before"));
  CHECK(t.size() == 3);
  t.erase("a");
  CHECK_FALSE(t.find("a"));
  CHECK(t.size() == 2);
  t.put("a", "back");
  CHECK(t.find("a") == std::optional<std::string_view>("back"));
  // Keys differing only after a NUL byte, as the binary view keys do, are different keys.
  t.put(std::string("k\0x", 3), "x");
  t.put(std::string("k\0y", 3), "y");
  CHECK(t.find(std::string("k\0x", 3)) == std::optional<std::string_view>("x"));
  CHECK(t.find(std::string("k\0y", 3)) == std::optional<std::string_view>("y"));
}

TEST_CASE("sorted family: random operations match std::map, read between writes or at the end") {
  const bool readBetween = GENERATE(false, true);
  std::mt19937_64 rng(20261129);
  SortedFamily t;
  std::map<std::string, std::string> model;
  // Few distinct keys (some sharing a 16-byte prefix and differing after it, some shorter than
  // it and differing by a NUL) and many overwrites and erasures, across several blocks.
  auto randomKey = [&] {
    const auto n = rng() % 3000;
    switch (n % 3) {
      case 0: return "key-" + std::to_string(n);
      case 1: return "a-long-shared-prefix-" + std::to_string(n);
      default: return std::string("k\0", 2) + std::string(n % 7, '\0') + std::to_string(n);
    }
  };
  for (int i = 0; i < 200'000; ++i) {
    std::string key = randomKey();
    if (readBetween && i % 5000 == 0) {
      auto found = model.find(key);
      REQUIRE(t.find(key) == (found == model.end() ? std::nullopt
                                                   : std::optional<std::string_view>(found->second)));
    }
    switch (rng() % 4) {
      case 0:
        t.erase(key);
        model.erase(key);
        break;
      default: {
        std::string value(rng() % 700, static_cast<char>('a' + i % 26));
        t.put(key, value);
        model[key] = value;
      }
    }
  }
  CHECK(t.size() == model.size());
  CHECK(contents(t) == model);
  for (const auto& [k, v] : model) REQUIRE(t.find(k) == std::optional<std::string_view>(v));
  CHECK_FALSE(t.find("key-absent"));
}

TEST_CASE("sorted family: a value larger than a block, and a reserve, keep every entry") {
  SortedFamily t;
  t.put("small", "s");
  t.reserve(100'000);
  const std::string big(3 << 20, 'b');
  t.put("big", big);
  for (int i = 0; i < 100'000; ++i) t.put("n" + std::to_string(i), std::to_string(i));
  CHECK(t.find("big") == std::optional<std::string_view>(big));
  CHECK(t.find("small") == std::optional<std::string_view>("s"));
  CHECK(t.find("n99999") == std::optional<std::string_view>("99999"));
  CHECK(t.size() == 100'002);
}

// A damaged meta/last_seq once reached reserve() as a size. A hint beyond any memory is refused at
// once, the family unchanged.
TEST_CASE("sorted family: an impossible reserve is refused") {
  SortedFamily t;
  t.put("k", "v");
  CHECK_THROWS_AS(t.reserve(SIZE_MAX), std::length_error);
  CHECK_THROWS_AS(t.reserve(SIZE_MAX / 2 + 7), std::length_error);
  CHECK(t.find("k") == std::optional<std::string_view>("v"));
}

// Sorting by keyPrefixOf first must never contradict RocksDB's bytewise order: bytes above 0x7f
// sort after ASCII, a key sorts before its extensions, and a NUL is not an end of key.
TEST_CASE("sorted family: key prefixes order keys as RocksDB's bytewise comparator does") {
  std::mt19937_64 rng(5122026);
  auto randomKey = [&] {
    std::string k(rng() % 20, '\0');
    for (auto& c : k) c = static_cast<char>(rng() % 4 == 0 ? 0xff - rng() % 3 : rng() % 3);
    return k;
  };
  for (int i = 0; i < 100'000; ++i) {
    const std::string a = randomKey(), b = randomKey();
    const auto pa = pitlog::projections::keyPrefixOf(a), pb = pitlog::projections::keyPrefixOf(b);
    const int bytewise = std::string_view(a).compare(b);
    if (pa < pb) REQUIRE(bytewise < 0);
    if (pb < pa) REQUIRE(bytewise > 0);
  }
}

// The sort goes 8 key bytes at a time and uses a key's length only where it ends inside those
// bytes: keys that share 8, 16 or more bytes, keys that are prefixes of others (padded with NULs
// or not), bytes above 0x7f and overwrites of one key must still come out in bytewise order, the
// newest write winning.
TEST_CASE("sorted family: keys sharing whole 8-byte words, or ending inside one, sort bytewise") {
  std::mt19937_64 rng(6122026);
  const std::string shared[] = {"", "acct-123", std::string("acct-123\0", 9), "acct-1234-and-more",
                                std::string(16, '\0'), std::string(8, '\xff')};
  auto randomKey = [&] {
    std::string k = shared[rng() % std::size(shared)];
    const size_t tail = rng() % 19;  // 0 to 18 bytes: ends before, at and past word boundaries
    for (size_t i = 0; i < tail; ++i) {
      k.push_back(static_cast<char>(rng() % 3 == 0 ? 0xff - rng() % 2 : rng() % 3));
    }
    return k;
  };
  const bool readBetween = GENERATE(false, true);
  SortedFamily t;
  std::map<std::string, std::string> model;
  for (int i = 0; i < 50'000; ++i) {
    const std::string key = randomKey();
    if (rng() % 5 == 0) {
      t.erase(key);
      model.erase(key);
    } else {
      const std::string value = std::to_string(i);
      t.put(key, value);
      model[key] = value;
    }
    if (readBetween && i % 9973 == 0) REQUIRE(t.size() == model.size());
  }
  CHECK(contents(t) == model);
}
