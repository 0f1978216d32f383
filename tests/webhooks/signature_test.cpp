// Standard Webhooks signing: the reference libraries' published vector byte for byte, the secret
// format's edges, and a receiver's verification (several signatures, timestamp tolerance).
#include "webhooks/signature.h"

#include <catch2/catch.hpp>

#include <string>

using namespace pitlog::webhooks;

namespace {

kj::ArrayPtr<const kj::byte> bytes(const std::string& s) {
  return kj::arrayPtr(reinterpret_cast<const kj::byte*>(s.data()), s.size());
}

// The vector every reference library of the specification tests its sign() with
// (libraries/{go,python,javascript,...}: "sign function works").
constexpr const char* kVectorSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr const char* kVectorId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr int64_t kVectorTimestamp = 1614265330;
constexpr const char* kVectorBody = R"({"test": 2432232314})";
constexpr const char* kVectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

}  // namespace

TEST_CASE("Signing the specification's published vector gives its signature byte for byte") {
  ParsedSecret secret = parseSecret(kVectorSecret);
  REQUIRE(secret.ok());
  CHECK(secret.key.size() == 24);
  CHECK(signMessage(bytes(secret.key), kVectorId, kVectorTimestamp, kVectorBody) ==
        kVectorSignature);
}

TEST_CASE("The published vector verifies, and any change to id, timestamp, body or key does not") {
  const std::string key = parseSecret(kVectorSecret).key;
  const int64_t now = kVectorTimestamp + 10;
  CHECK(verifyMessage(bytes(key), kVectorId, "1614265330", kVectorBody, kVectorSignature, now)
            .valid);
  CHECK_FALSE(verifyMessage(bytes(key), "msg_other", "1614265330", kVectorBody,
                            kVectorSignature, now).valid);
  CHECK_FALSE(verifyMessage(bytes(key), kVectorId, "1614265331", kVectorBody, kVectorSignature,
                            now).valid);
  CHECK_FALSE(verifyMessage(bytes(key), kVectorId, "1614265330", R"({"test":2432232314})",
                            kVectorSignature, now).valid);
  std::string otherKey = key;
  otherKey[0] ^= 1;
  Verification wrongKey = verifyMessage(bytes(otherKey), kVectorId, "1614265330", kVectorBody,
                                        kVectorSignature, now);
  CHECK_FALSE(wrongKey.valid);
  CHECK(wrongKey.reason == "no signature matches");
}

TEST_CASE("A generated secret is 32 random bytes, shown as whsec_ and base64, and parses back") {
  const std::string a = generateSigningKey();
  const std::string b = generateSigningKey();
  CHECK(a.size() == kSigningKeyBytes);
  CHECK(a != b);
  const std::string text = formatSecret(a);
  CHECK(text.rfind("whsec_", 0) == 0);
  CHECK(text.size() == 6 + 44);
  ParsedSecret parsed = parseSecret(text);
  REQUIRE(parsed.ok());
  CHECK(parsed.key == a);
}

TEST_CASE("A secret without base64 padding parses to the same key, as the libraries allow") {
  const std::string key(32, '\x7f');
  std::string text = formatSecret(key);
  REQUIRE(text.back() == '=');
  text.pop_back();
  ParsedSecret parsed = parseSecret(text);
  REQUIRE(parsed.ok());
  CHECK(parsed.key == key);
}

TEST_CASE("Keys of 24 and 64 bytes are accepted, 23 and 65 are refused with the length") {
  CHECK(parseSecret(formatSecret(std::string(24, 'k'))).ok());
  CHECK(parseSecret(formatSecret(std::string(64, 'k'))).ok());
  CHECK(parseSecret(formatSecret(std::string(23, 'k'))).error ==
        "a webhook secret's key is 24 to 64 bytes, this one is 23");
  CHECK(parseSecret(formatSecret(std::string(65, 'k'))).error ==
        "a webhook secret's key is 24 to 64 bytes, this one is 65");
}

TEST_CASE("Secret texts other than whsec_ and canonical base64 are refused without quoting them") {
  const std::string good = formatSecret(std::string(32, 'k'));  // whsec_a2tr...a2s=
  struct Case {
    std::string text;
    std::string error;
  };
  const std::string base64Error = "a webhook secret is whsec_ followed by standard base64";
  const Case cases[] = {
      {"", "a webhook secret starts with whsec_"},
      {good.substr(6), "a webhook secret starts with whsec_"},  // the bare base64
      {"WHSEC_" + good.substr(6), "a webhook secret starts with whsec_"},
      {"whsec_", "a webhook secret's key is 24 to 64 bytes, this one is 0"},
      {good + " ", base64Error},                               // trailing space
      {" " + good, "a webhook secret starts with whsec_"},     // leading space
      {good.substr(0, 20) + "\n" + good.substr(20), base64Error},
      {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS-", base64Error},  // URL-safe alphabet
      {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS_", base64Error},
      {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw=", base64Error},   // padding where none belongs
      {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwB", base64Error},   // a length base64 cannot have
      {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBs==", base64Error},  // non-zero unused bits
      {"whsec_MfKQ9r8GKYqrTwjUPD8I=PZIo2LaLaSw", base64Error},      // '=' inside
  };
  for (const auto& c : cases) {
    INFO("case " << c.text.size() << " characters");
    ParsedSecret parsed = parseSecret(c.text);
    CHECK_FALSE(parsed.ok());
    CHECK(parsed.key.empty());
    CHECK(parsed.error == c.error);
  }
}

TEST_CASE("A webhook-id is 1 to 256 printable characters without spaces or dots") {
  CHECK(isValidMessageId("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"));
  CHECK(isValidMessageId("evt_0123456789abcdef-7:x"));
  CHECK(isValidMessageId(std::string(256, 'a')));
  CHECK_FALSE(isValidMessageId(std::string(257, 'a')));
  CHECK_FALSE(isValidMessageId(""));
  CHECK_FALSE(isValidMessageId("msg.1"));
  CHECK_FALSE(isValidMessageId("msg 1"));
  CHECK_FALSE(isValidMessageId("msg\n1"));
  CHECK_FALSE(isValidMessageId("caf\xc3\xa9"));
}

TEST_CASE("Verification accepts any matching v1 signature among several and skips other schemes") {
  const std::string key = generateSigningKey();
  const std::string oldKey = generateSigningKey();
  const std::string body = R"({"type":"token.rotated","data":{"x":"é.✓"}})";
  const std::string current = signMessage(bytes(key), "msg_1", 1700000000, body);
  const std::string old = signMessage(bytes(oldKey), "msg_1", 1700000000, body);
  const std::string asymmetric =  // the specification's example of an ed25519 signature
      "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8"
      "EM+m7TBAg==";
  CHECK(verifyMessage(bytes(key), "msg_1", "1700000000", body,
                      asymmetric + " " + old + " " + current, 1700000000).valid);
  CHECK(verifyMessage(bytes(oldKey), "msg_1", "1700000000", body, current + " " + old,
                      1700000000).valid);
  // The MAC of the right key under another scheme's name is not a v1 signature.
  CHECK_FALSE(verifyMessage(bytes(key), "msg_1", "1700000000", body,
                            "v2," + current.substr(3), 1700000000).valid);
  CHECK_FALSE(verifyMessage(bytes(key), "msg_1", "1700000000", body, old, 1700000000).valid);
}

TEST_CASE("Verification refuses a timestamp outside the tolerance either way, or not a number") {
  const std::string key = generateSigningKey();
  const std::string signature = signMessage(bytes(key), "msg_1", 1700000000, "{}");
  auto check = [&](const char* timestamp, int64_t now) {
    return verifyMessage(bytes(key), "msg_1", timestamp, "{}", signature, now,
                         std::chrono::seconds(300));
  };
  CHECK(check("1700000000", 1700000300).valid);
  CHECK(check("1700000000", 1699999700).valid);
  CHECK(check("1700000000", 1700000301).reason == "webhook-timestamp is too old");
  CHECK(check("1700000000", 1699999699).reason == "webhook-timestamp is in the future");
  CHECK(check("1700000000x", 1700000000).reason == "webhook-timestamp is not a number of seconds");
  CHECK(check("", 1700000000).reason ==
        "a webhook-id, webhook-timestamp and webhook-signature header are required");
}
