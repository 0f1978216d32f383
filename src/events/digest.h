#pragma once
// SHA-256 digests and their hex form. The hasher fetches the EVP_MD once and reuses its context:
// OpenSSL 3 otherwise looks the provider up on every call, which is most of the cost for short
// inputs such as tokens (see bench/).
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace pitlog::events {

using Digest = std::array<uint8_t, 32>;

// Incremental SHA-256. Not thread-safe: use one per thread (see sha256()).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  Sha256& update(std::string_view bytes);
  Sha256& update(const Digest& d) { return update(asView(d)); }
  // Returns the digest and resets the hasher for the next message.
  Digest finish();

  static std::string_view asView(const Digest& d) {
    return {reinterpret_cast<const char*>(d.data()), d.size()};
  }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One-shot digest using a per-thread hasher. Thread-safe.
Digest sha256(std::string_view bytes);

std::string toHex(std::string_view bytes);
inline std::string toHex(const Digest& d) { return toHex(Sha256::asView(d)); }
// Parses exactly 64 hex digits (either case); nullopt otherwise.
std::optional<Digest> digestFromHex(std::string_view hex);
// API.md's tokenId: the first 16 lowercase hex digits of a token's digest.
inline std::string tokenIdOf(const Digest& d) { return toHex(d).substr(0, 16); }
// Copies 32 bytes into a Digest; nullopt when the size is wrong.
std::optional<Digest> digestFromBytes(std::string_view bytes);

struct DigestHash {
  size_t operator()(const Digest& d) const noexcept {
    // The digest is uniformly random already: its first 8 bytes are a perfect hash.
    size_t h;
    static_assert(sizeof(h) <= sizeof(Digest));
    __builtin_memcpy(&h, d.data(), sizeof(h));
    return h;
  }
};

}  // namespace pitlog::events
