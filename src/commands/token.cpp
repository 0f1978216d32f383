#include "commands/token.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <zlib.h>

#include <stdexcept>

namespace pitlog::commands {
namespace {

constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

bool isBase62(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

}  // namespace

FreshToken::~FreshToken() {
  if (!plaintext.empty()) OPENSSL_cleanse(plaintext.data(), plaintext.size());
}

namespace {

// Writes the six checksum characters into out; no allocation (verification's hot path).
void writeChecksum(std::string_view random, char* out) {
  uint32_t crc = static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(random.data()), static_cast<uInt>(random.size())));
  for (size_t i = kTokenChecksumChars; i-- > 0; crc /= 62) out[i] = kAlphabet[crc % 62];
}

}  // namespace

std::string tokenChecksum(std::string_view random) {
  std::string out(kTokenChecksumChars, '0');
  writeChecksum(random, out.data());
  return out;
}

FreshToken generateToken() {
  FreshToken t;
  t.plaintext.reserve(kTokenLength);
  t.plaintext.append(kTokenPrefix);
  // Rejection sampling keeps every character uniform: bytes >= 248 (= 4 * 62) are discarded.
  unsigned char buf[64];
  while (t.plaintext.size() < kTokenPrefix.size() + kTokenRandomChars) {
    if (RAND_bytes(buf, sizeof buf) != 1) throw std::runtime_error("OpenSSL: CSPRNG failure");
    for (unsigned char b : buf) {
      if (b >= 248) continue;
      t.plaintext.push_back(kAlphabet[b % 62]);
      if (t.plaintext.size() == kTokenPrefix.size() + kTokenRandomChars) break;
    }
  }
  OPENSSL_cleanse(buf, sizeof buf);
  t.plaintext += tokenChecksum(std::string_view(t.plaintext).substr(kTokenPrefix.size()));
  t.digest = events::sha256(t.plaintext);
  return t;
}

bool isWellFormedToken(std::string_view token) {
  if (token.size() != kTokenLength || token.substr(0, kTokenPrefix.size()) != kTokenPrefix) {
    return false;
  }
  std::string_view body = token.substr(kTokenPrefix.size());
  for (char c : body) {
    if (!isBase62(c)) return false;
  }
  char checksum[kTokenChecksumChars];
  writeChecksum(body.substr(0, kTokenRandomChars), checksum);
  return body.substr(kTokenRandomChars) == std::string_view(checksum, kTokenChecksumChars);
}

std::string_view tokenTail(std::string_view token) {
  return token.substr(token.size() >= 4 ? token.size() - 4 : 0);
}

std::string tokenHint(std::string_view tail) {
  std::string out(kTokenPrefix);
  out += "\u2026";
  out += tail;
  return out;
}

}  // namespace pitlog::commands
