#pragma once
// Standard Webhooks signing (https://www.standardwebhooks.com, "Signature scheme"): the
// symmetric scheme only. A subscription's secret is `whsec_` + base64 of 24 to 64 random bytes
// (we make 32); a message is signed as HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`
// and the `webhook-signature` header carries `v1,<base64 of the MAC>`, several of them separated
// by spaces during a key rotation.
//
// Nothing here logs or throws with a key or a secret's text in the message. Thread-safe: every
// function is pure but for generateSigningKey(), which reads OpenSSL's CSPRNG.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <kj/common.h>

namespace pitlog::webhooks {

inline constexpr std::string_view kSecretPrefix = "whsec_";
inline constexpr size_t kSigningKeyBytes = 32;   // what generateSigningKey() makes
inline constexpr size_t kMinSigningKeyBytes = 24;  // the specification's bounds
inline constexpr size_t kMaxSigningKeyBytes = 64;
// How far a `webhook-timestamp` may be from the verifier's clock, either way (the libraries'
// default): a replayed message older than this is refused.
inline constexpr std::chrono::seconds kDefaultTimestampTolerance{300};

// kSigningKeyBytes from OpenSSL's CSPRNG. Throws (kj::Exception) only if the CSPRNG fails.
std::string generateSigningKey();

// `whsec_` + canonical, padded base64 of `key`: the text shown to a subscriber once.
std::string formatSecret(kj::ArrayPtr<const kj::byte> key);
std::string formatSecret(std::string_view key);

// The key bytes behind a secret's text, or why the text is not one: it must be `whsec_` followed
// by standard base64 (RFC 4648 §4 alphabet; the `=` padding may be left out, as the reference
// libraries allow) of 24 to 64 bytes, and nothing else (no spaces, no URL-safe alphabet). The
// reason never quotes the text.
struct ParsedSecret {
  std::string key;    // raw bytes, when error is empty
  std::string error;  // e.g. "a webhook secret starts with whsec_"
  bool ok() const { return error.empty(); }
};
ParsedSecret parseSecret(std::string_view text);

// Whether `id` may be a `webhook-id`: 1 to 256 printable ASCII characters, no space and no '.'
// (the specification's delimiter of the signed content: an id with one could pass for another
// id and timestamp).
bool isValidMessageId(std::string_view id);

// The `webhook-signature` header value for one message: `v1,` + base64(HMAC-SHA256(key,
// id + "." + timestamp + "." + body)). `body` is signed byte for byte.
std::string signMessage(kj::ArrayPtr<const kj::byte> key, std::string_view id, int64_t timestamp,
                        std::string_view body);

// A receiver's check of one delivery: `id`, `timestamp` and `signatures` are the raw values of
// the `webhook-id`, `webhook-timestamp` and `webhook-signature` headers. Valid when the
// timestamp is a decimal integer within `tolerance` of `now` (unix seconds) and one of the
// space-separated `v1,<base64>` signatures matches (compared in constant time); entries of other
// versions (e.g. `v1a`) are skipped.
struct Verification {
  bool valid = false;
  std::string reason;  // why not, when !valid: "no signature matches", "timestamp too old", ...
};
Verification verifyMessage(kj::ArrayPtr<const kj::byte> key, std::string_view id,
                           std::string_view timestamp, std::string_view body,
                           std::string_view signatures, int64_t now,
                           std::chrono::seconds tolerance = kDefaultTimestampTolerance);

}  // namespace pitlog::webhooks
