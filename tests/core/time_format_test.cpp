// Times at pitlog's edges: RFC 3339 UTC with milliseconds out, RFC 3339 with a zone in, and the
// durations of --rotation-window. Expected values were computed independently (Python's datetime).
#include <catch2/catch.hpp>

#include <random>

#include "events/time_format.h"

using pitlog::events::formatRfc3339;
using pitlog::events::parseDuration;
using pitlog::events::parseRfc3339;

TEST_CASE("formatRfc3339 writes UTC with milliseconds", "[time]") {
  CHECK(formatRfc3339(0) == "1970-01-01T00:00:00.000Z");
  CHECK(formatRfc3339(1795885200000) == "2026-11-28T17:00:00.000Z");
  CHECK(formatRfc3339(1709251199999) == "2024-02-29T23:59:59.999Z");
  CHECK(formatRfc3339(946684800000) == "2000-01-01T00:00:00.000Z");
  CHECK(formatRfc3339(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(formatRfc3339(951782400000) == "2000-02-29T00:00:00.000Z");
}

TEST_CASE("parseRfc3339 reads known instants", "[time]") {
  CHECK(parseRfc3339("2026-11-28T17:00:00.000Z") == 1795885200000);
  CHECK(parseRfc3339("2026-11-28T17:00:00Z") == 1795885200000);
  CHECK(parseRfc3339("2026-11-28t17:00:00z") == 1795885200000);
  CHECK(parseRfc3339("2024-02-29T23:59:59.999Z") == 1709251199999);
  CHECK(parseRfc3339("1970-01-01T00:00:00.000Z") == 0);
  CHECK(parseRfc3339("1969-12-31T23:59:59.999Z") == -1);
  // Fractions are truncated to milliseconds, not rounded.
  CHECK(parseRfc3339("2026-11-28T17:00:00.1Z") == 1795885200100);
  CHECK(parseRfc3339("2026-11-28T17:00:00.12Z") == 1795885200120);
  CHECK(parseRfc3339("2026-11-28T17:00:00.123456789Z") == 1795885200123);
  CHECK(parseRfc3339("2026-11-28T17:00:00.9999Z") == 1795885200999);
}

TEST_CASE("parseRfc3339 applies numeric offsets", "[time]") {
  CHECK(parseRfc3339("2026-11-28T18:00:00.000+01:00") == 1795885200000);
  CHECK(parseRfc3339("2026-11-28T12:30:00.000-04:30") == 1795885200000);
  CHECK(parseRfc3339("2026-11-28T17:00:00+00:00") == 1795885200000);
  CHECK(parseRfc3339("2026-11-28T17:00:00-00:00") == 1795885200000);
  // Across a date line: 2026-11-29T02:00+09:00 is 17:00Z the day before.
  CHECK(parseRfc3339("2026-11-29T02:00:00+09:00") == 1795885200000);
  CHECK(parseRfc3339("2000-01-01T00:00:00+23:59") == 946684800000 - (23 * 60 + 59) * 60000LL);
}

TEST_CASE("parseRfc3339 rejects malformed and out-of-range input", "[time]") {
  const char* bad[] = {
      "",
      "2026-11-28",                     // no time
      "2026-11-28T17:00:00",            // no zone
      "2026-11-28T17:00:00.000",        // no zone
      "2026-11-28 17:00:00Z",           // space separator
      "2026-13-01T00:00:00Z",           // month 13
      "2026-00-10T00:00:00Z",           // month 0
      "2026-02-30T00:00:00Z",           // Feb 30
      "2026-02-29T00:00:00Z",           // not a leap year
      "1900-02-29T00:00:00Z",           // century, not a leap year
      "2026-04-31T00:00:00Z",           // April has 30 days
      "2026-11-00T00:00:00Z",           // day 0
      "2026-11-28T24:00:00Z",           // hour 24
      "2026-11-28T17:60:00Z",           // minute 60
      "2026-11-28T17:00:61Z",           // second 61
      "2026-11-28T17:00:60Z",           // leap seconds are not accepted
      "2026-11-28T17:00:00.Z",          // empty fraction
      "2026-11-28T17:00:00.1234567891Z",  // more than nanoseconds
      "2026-11-28T17:00:00+0100",       // offset without colon
      "2026-11-28T17:00:00+01",         // truncated offset
      "2026-11-28T17:00:00+24:00",      // offset hour 24
      "2026-11-28T17:00:00+01:60",      // offset minute 60
      "2026-11-28T17:00:00ZZ",          // trailing junk
      "2026-11-28T17:00:00Z ",          // trailing space
      " 2026-11-28T17:00:00Z",          // leading space
      "26-11-28T17:00:00Z",             // two-digit year
      "2026-1-28T17:00:00Z",            // one-digit month
      "2026/11/28T17:00:00Z",           // wrong separators
      "2026-11-28T17:00Z",              // no seconds
      "2026-11-28T1a:00:00Z",           // letter in a number
  };
  for (const char* text : bad) {
    INFO("input '" << text << "'");
    CHECK_FALSE(parseRfc3339(text).has_value());
  }
  // The leap days that do exist are accepted.
  CHECK(parseRfc3339("2000-02-29T00:00:00Z").has_value());
  CHECK(parseRfc3339("2024-02-29T00:00:00Z").has_value());
  CHECK(parseRfc3339("2026-12-31T23:59:59.999Z").has_value());
}

TEST_CASE("formatRfc3339 and parseRfc3339 round-trip", "[time]") {
  std::mt19937_64 rng(20261128);
  // From 0001-01-01 to 9999-12-31: every value formats to a string that parses back to itself.
  std::uniform_int_distribution<int64_t> dist(-62135596800000LL, 253402300799999LL);
  for (int i = 0; i < 20000; ++i) {
    int64_t t = dist(rng);
    auto text = formatRfc3339(t);
    INFO(t << " -> " << text);
    REQUIRE(text.size() == 24);
    REQUIRE(parseRfc3339(text) == t);
  }
  for (int64_t t : {0LL, -1LL, 1LL, 951868799999LL, 951868800000LL, 253402300799999LL}) {
    CHECK(parseRfc3339(formatRfc3339(t)) == t);
  }
}

TEST_CASE("parseDuration reads the documented units", "[time]") {
  CHECK(parseDuration("7d") == 7LL * 24 * 3600 * 1000);
  CHECK(parseDuration("36h") == 36LL * 3600 * 1000);
  CHECK(parseDuration("90m") == 90LL * 60 * 1000);
  CHECK(parseDuration("2s") == 2000);
  CHECK(parseDuration("250ms") == 250);
  CHECK(parseDuration("1ms") == 1);
  CHECK(parseDuration("007s") == 7000);
}

TEST_CASE("parseDuration rejects zero, junk and overflow", "[time]") {
  const char* bad[] = {
      "", "0", "0s", "0d", "000m", "7", "d", "s7", "7x", "7 d", " 7d", "7d ", "-7d", "+7d",
      "1.5h", "7D", "7H", "1e3s", "7dd", "7sm", "0x10s", "7days",
      "106751991168d",     // 2^63 ms is 106751991167.3 days: one more overflows
      "9999999999999s",    // 13 digits
      "999999999999d",     // fits the digit limit, overflows int64 milliseconds
  };
  for (const char* text : bad) {
    INFO("input '" << text << "'");
    CHECK_FALSE(parseDuration(text).has_value());
  }
  // The largest whole-day value that fits is accepted.
  CHECK(parseDuration("106751991167d") == 106751991167LL * 86400000LL);
}
