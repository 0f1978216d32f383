#include "webhooks/signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <charconv>
#include <optional>

#include <kj/debug.h>
#include <kj/encoding.h>

namespace pitlog::webhooks {

namespace {

kj::ArrayPtr<const kj::byte> bytesOf(std::string_view s) {
  return kj::arrayPtr(reinterpret_cast<const kj::byte*>(s.data()), s.size());
}

std::string base64(kj::ArrayPtr<const kj::byte> bytes) {
  kj::String text = kj::encodeBase64(bytes);
  return std::string(text.cStr(), text.size());
}

// The bytes `text` is the base64 of, padded or not; nullopt unless `text` is exactly the
// canonical encoding of those bytes (so that one secret has one spelling, padding aside).
std::optional<std::string> decodeCanonicalBase64(std::string_view text) {
  std::string padded(text);
  if (padded.size() % 4 == 1) return std::nullopt;
  if (padded.size() % 4 != 0) padded.append(4 - padded.size() % 4, '=');
  auto decoded = kj::decodeBase64(kj::arrayPtr(padded.data(), padded.size()));
  if (decoded.hadErrors) return std::nullopt;
  std::string bytes(reinterpret_cast<const char*>(decoded.begin()), decoded.size());
  if (base64(decoded) != padded) return std::nullopt;
  return bytes;
}

std::string hmacSha256(kj::ArrayPtr<const kj::byte> key, std::string_view id, int64_t timestamp,
                       std::string_view body) {
  // Standard Webhooks' signed content: "{msg_id}.{timestamp}.{payload}".
  std::string content;
  content.reserve(id.size() + body.size() + 24);
  content.append(id).append(".").append(std::to_string(timestamp)).append(".").append(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int macLength = 0;
  KJ_ASSERT(HMAC(EVP_sha256(), key.begin(), static_cast<int>(key.size()),
                 reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac,
                 &macLength) != nullptr,
            "HMAC-SHA256 failed");
  OPENSSL_cleanse(content.data(), content.size());
  return std::string(reinterpret_cast<const char*>(mac), macLength);
}

}  // namespace

std::string generateSigningKey() {
  std::string key(kSigningKeyBytes, '\0');
  KJ_ASSERT(RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), int(key.size())) == 1,
            "OpenSSL's CSPRNG failed");
  return key;
}

std::string formatSecret(kj::ArrayPtr<const kj::byte> key) {
  return std::string(kSecretPrefix) + base64(key);
}

std::string formatSecret(std::string_view key) { return formatSecret(bytesOf(key)); }

ParsedSecret parseSecret(std::string_view text) {
  if (text.substr(0, kSecretPrefix.size()) != kSecretPrefix) {
    return {{}, "a webhook secret starts with whsec_"};
  }
  auto key = decodeCanonicalBase64(text.substr(kSecretPrefix.size()));
  if (!key) return {{}, "a webhook secret is whsec_ followed by standard base64"};
  if (key->size() < kMinSigningKeyBytes || key->size() > kMaxSigningKeyBytes) {
    return {{}, "a webhook secret's key is 24 to 64 bytes, this one is " +
                    std::to_string(key->size())};
  }
  return {std::move(*key), {}};
}

bool isValidMessageId(std::string_view id) {
  if (id.empty() || id.size() > 256) return false;
  for (char c : id) {
    if (c <= ' ' || c > '~' || c == '.') return false;
  }
  return true;
}

std::string signMessage(kj::ArrayPtr<const kj::byte> key, std::string_view id, int64_t timestamp,
                        std::string_view body) {
  return "v1," + base64(bytesOf(hmacSha256(key, id, timestamp, body)));
}

Verification verifyMessage(kj::ArrayPtr<const kj::byte> key, std::string_view id,
                           std::string_view timestamp, std::string_view body,
                           std::string_view signatures, int64_t now,
                           std::chrono::seconds tolerance) {
  if (id.empty() || timestamp.empty() || signatures.empty()) {
    return {false, "a webhook-id, webhook-timestamp and webhook-signature header are required"};
  }
  int64_t sentAt = 0;
  const char* last = timestamp.data() + timestamp.size();
  auto [end, error] = std::from_chars(timestamp.data(), last, sentAt);
  if (error != std::errc() || end != last) {
    return {false, "webhook-timestamp is not a number of seconds"};
  }
  if (now - sentAt > tolerance.count()) return {false, "webhook-timestamp is too old"};
  if (sentAt - now > tolerance.count()) return {false, "webhook-timestamp is in the future"};

  const std::string expected = hmacSha256(key, id, sentAt, body);
  size_t start = 0;
  while (start <= signatures.size()) {
    size_t stop = signatures.find(' ', start);
    if (stop == std::string_view::npos) stop = signatures.size();
    std::string_view entry = signatures.substr(start, stop - start);
    start = stop + 1;
    if (entry.substr(0, 3) != "v1,") continue;  // another scheme (v1a) or an empty entry
    auto mac = decodeCanonicalBase64(entry.substr(3));
    if (mac && mac->size() == expected.size() &&
        CRYPTO_memcmp(mac->data(), expected.data(), expected.size()) == 0) {
      return {true, {}};
    }
  }
  return {false, "no signature matches"};
}

}  // namespace pitlog::webhooks
