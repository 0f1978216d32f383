// ByteTable against std::map as the model: the same random puts, overwrites and erasures must
// leave the same contents, through index growth, erased-slot reuse and compaction.
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <string>

#include "projections/byte_table.h"

using pitlog::projections::ByteTable;

namespace {

std::map<std::string, std::string> contents(const ByteTable& t) {
  std::map<std::string, std::string> out;
  t.forEach([&](std::string_view k, std::string_view v) {
    CHECK(out.emplace(std::string(k), std::string(v)).second);  // no key twice
  });
  return out;
}

}  // namespace

TEST_CASE("byte table: put, overwrite, find and erase behave as a map") {
  ByteTable t;
  CHECK_FALSE(t.find("a"));
  CHECK_FALSE(t.erase("a"));
  t.put("a", "1");
  t.put("", "empty key");
  t.put("b", "");
  CHECK(t.find("a") == std::optional<std::string_view>("1"));
  CHECK(t.find("") == std::optional<std::string_view>("empty key"));
  CHECK(t.find("b") == std::optional<std::string_view>(""));
  t.put("a", "a longer value than before");
  CHECK(t.find("a") == std::optional<std::string_view>("a longer value than before"));
  CHECK(t.size() == 3);
  CHECK(t.erase("a"));
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

TEST_CASE("byte table: random operations through growth and compaction match std::map") {
  std::mt19937_64 rng(20261129);
  ByteTable t;
  std::map<std::string, std::string> model;
  // Few distinct keys and many overwrites and erasures: garbage outgrows the live bytes, so the
  // table compacts; erased slots fill the index, so it is rebuilt at the same size too.
  for (int i = 0; i < 200'000; ++i) {
    std::string key = "key-" + std::to_string(rng() % 3000);
    switch (rng() % 4) {
      case 0:
        CHECK(t.erase(key) == (model.erase(key) == 1));
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

TEST_CASE("byte table: a value larger than a block, and a reserve, keep every entry") {
  ByteTable t;
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

// A damaged meta/last_seq once reached reserve() as a size: the slot count overflowed and the
// doubling loop never ended. A hint beyond any memory is refused at once, the table unchanged.
TEST_CASE("byte table: an impossible reserve is refused instead of looping") {
  pitlog::projections::ByteTable t;
  t.put("k", "v");
  CHECK_THROWS_AS(t.reserve(SIZE_MAX), std::length_error);
  CHECK_THROWS_AS(t.reserve(SIZE_MAX / 2 + 7), std::length_error);
  CHECK(t.find("k") == std::optional<std::string_view>("v"));
}
