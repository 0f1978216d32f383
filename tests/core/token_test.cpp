// The token format of API.md: "pit_" + 43 base62 + 6-character CRC-32 checksum, and the names
// views give a token (tokenId, hint). The checksum is recomputed here with the test's own CRC-32
// and base62, so that a wrong alphabet order, digit order or padding in the product shows.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "commands/token.h"
#include "events/digest.h"

namespace {

using namespace pitlog;

constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// Bitwise CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), independent of zlib.
uint32_t crc32Ieee(std::string_view bytes) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char b : bytes) {
    crc ^= b;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

// Most significant digit first, left-padded with '0' to six digits.
std::string base62Six(uint32_t v) {
  std::string out(6, '0');
  uint64_t n = v;
  for (int i = 5; i >= 0; --i) {
    out[i] = kAlphabet[n % 62];
    n /= 62;
  }
  REQUIRE(n == 0);  // 62^6 > 2^32: six digits always suffice
  return out;
}

bool inAlphabet(char c) {
  return std::string_view(kAlphabet).find(c) != std::string_view::npos;
}

// A token built by the test from 43 chosen characters.
std::string tokenFrom(const std::string& random) {
  return "pit_" + random + base62Six(crc32Ieee(random));
}

}  // namespace

TEST_CASE("the test's own CRC-32 and base62 agree with published values", "[token]") {
  CHECK(crc32Ieee("123456789") == 0xCBF43926u);
  CHECK(crc32Ieee("") == 0u);
  // 0xCBF43926 = 3421780262 = 3*62^5 + 45*62^4 + 35*62^3 + 27*62^2 + 22*62 + 14
  CHECK(base62Six(0xCBF43926u) == "3jZRME");
  CHECK(base62Six(0) == "000000");
  CHECK(base62Six(61) == "00000z");
  CHECK(base62Six(62) == "000010");
  CHECK(base62Six(0xFFFFFFFFu) == "4gfFC3");
}

TEST_CASE("tokenChecksum matches known-answer vectors", "[token]") {
  CHECK(commands::tokenChecksum("123456789") == "3jZRME");
  CHECK(commands::tokenChecksum("") == "000000");
  // CRC-32 of 43 'A's is 0x0C2B5986: its base62 form starts with a padding '0'.
  const std::string as(43, 'A');
  CHECK(crc32Ieee(as) == 0x0C2B5986u);
  CHECK(commands::tokenChecksum(as) == "0DofJ8");
  const std::string mixed = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ";
  CHECK(commands::tokenChecksum(mixed) == base62Six(crc32Ieee(mixed)));
  CHECK(commands::tokenChecksum(mixed) == "4FLuWK");
}

TEST_CASE("generated tokens have the documented shape and checksum", "[token]") {
  std::set<std::string> seen;
  for (int i = 0; i < 500; ++i) {
    auto t = commands::generateToken();
    const std::string& s = t.plaintext;
    REQUIRE(s.size() == 53);
    REQUIRE(s.compare(0, 4, "pit_") == 0);
    for (size_t k = 4; k < s.size(); ++k) REQUIRE(inAlphabet(s[k]));
    const std::string random = s.substr(4, 43);
    // Compared without decomposition: the operands are secrets.
    REQUIRE((s.substr(47) == base62Six(crc32Ieee(random))));
    REQUIRE(commands::isWellFormedToken(s));
    REQUIRE((t.digest == events::sha256(s)));
    REQUIRE(seen.insert(s).second);
  }
}

TEST_CASE("generated tokens use the whole alphabet in every position", "[token]") {
  // 2000 tokens x 43 characters: each of 62 characters is expected ~1390 times; a generator that
  // skipped characters (a modulo or rejection-sampling slip) would leave some at zero.
  std::array<int, 128> counts{};
  for (int i = 0; i < 2000; ++i) {
    auto t = commands::generateToken();
    for (size_t k = 4; k < 47; ++k) counts[static_cast<unsigned char>(t.plaintext[k])]++;
  }
  for (const char* c = kAlphabet; *c; ++c) {
    INFO("character " << *c);
    CHECK(counts[static_cast<unsigned char>(*c)] > 1000);
    CHECK(counts[static_cast<unsigned char>(*c)] < 1800);
  }
}

TEST_CASE("isWellFormedToken accepts test-built tokens and rejects every kind of fault",
          "[token]") {
  const std::string random = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg";
  REQUIRE(random.size() == 43);
  const std::string good = tokenFrom(random);
  REQUIRE(good.size() == 53);
  CHECK(commands::isWellFormedToken(good));
  CHECK(commands::isWellFormedToken(tokenFrom(std::string(43, 'A'))));
  CHECK(commands::isWellFormedToken(tokenFrom(std::string(43, 'z'))));

  SECTION("prefix") {
    for (std::string prefix : {"PIT_", "pit-", "pjt_", "tip_", "pit:"}) {
      std::string bad = good;
      bad.replace(0, 4, prefix);
      INFO("prefix " << prefix);
      CHECK_FALSE(commands::isWellFormedToken(bad));
    }
  }
  SECTION("length") {
    CHECK_FALSE(commands::isWellFormedToken(""));
    CHECK_FALSE(commands::isWellFormedToken("pit_"));
    CHECK_FALSE(commands::isWellFormedToken(good.substr(0, 52)));
    CHECK_FALSE(commands::isWellFormedToken(good + "0"));
    CHECK_FALSE(commands::isWellFormedToken(" " + good));
    CHECK_FALSE(commands::isWellFormedToken(good + "\n"));
    // A 42- or 44-character random part with its own correct checksum is still the wrong shape.
    CHECK_FALSE(commands::isWellFormedToken(tokenFrom(random.substr(0, 42))));
    CHECK_FALSE(commands::isWellFormedToken(tokenFrom(random + "h")));
  }
  SECTION("alphabet, with a checksum made to match") {
    for (char c : std::string("-_+/=.~ \0\x80", 10)) {
      std::string r = random;
      r[10] = c;
      INFO("character code " << static_cast<int>(static_cast<unsigned char>(c)));
      CHECK_FALSE(commands::isWellFormedToken(tokenFrom(r)));
    }
    std::string badChecksum = good;
    badChecksum[50] = '-';
    CHECK_FALSE(commands::isWellFormedToken(badChecksum));
  }
  SECTION("checksum: any single changed character is caught") {
    for (size_t pos = 4; pos < good.size(); ++pos) {
      for (char c : std::string("0aZ9")) {
        if (good[pos] == c) continue;
        std::string bad = good;
        bad[pos] = c;
        INFO("position " << pos);
        CHECK_FALSE(commands::isWellFormedToken(bad));
      }
    }
    // Swapping two neighbouring characters of the random part is caught too.
    std::string swapped = good;
    std::swap(swapped[10], swapped[11]);
    CHECK_FALSE(commands::isWellFormedToken(swapped));
  }
  SECTION("checksum is case-sensitive and in most-significant-first order") {
    std::string r = std::string(43, 'A');  // checksum "0DofJ8"
    std::string reversed = "pit_" + r + "8JfoD0";
    std::string lowered = "pit_" + r + "0dofj8";
    CHECK(commands::isWellFormedToken("pit_" + r + "0DofJ8"));
    CHECK_FALSE(commands::isWellFormedToken(reversed));
    CHECK_FALSE(commands::isWellFormedToken(lowered));
    // Unpadded ("DofJ8" and a random character appended) is a different token.
    CHECK_FALSE(commands::isWellFormedToken("pit_" + r + "DofJ80"));
  }
}

TEST_CASE("tokenId is the first 16 lowercase hex digits of the token's SHA-256", "[token]") {
  // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
  CHECK(events::tokenIdOf(events::sha256("abc")) == "ba7816bf8f01cfea");
  CHECK(events::toHex(events::sha256("")) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  auto t = commands::generateToken();
  std::string id = events::tokenIdOf(t.digest);
  CHECK(id.size() == 16);
  CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(id == events::toHex(events::sha256(t.plaintext)).substr(0, 16));
}

TEST_CASE("hint is pit_, U+2026, then the last four characters", "[token]") {
  const std::string token = tokenFrom("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg");
  CHECK(commands::tokenTail(token) == token.substr(49));
  CHECK(commands::tokenTail(token).size() == 4);
  const std::string hint = commands::tokenHint(commands::tokenTail(token));
  // U+2026 HORIZONTAL ELLIPSIS is E2 80 A6 in UTF-8.
  CHECK(hint == "pit_\xE2\x80\xA6" + token.substr(49));
  CHECK(hint.size() == 4 + 3 + 4);
  CHECK(commands::tokenHint("AbCd") == "pit_\u2026AbCd");
}
