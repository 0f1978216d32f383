#pragma once
// Private Integration Token format (API.md):
//   token    := "pit_" random checksum                      53 characters
//   random   := 43 x base62                                 from the OS CSPRNG (>= 256 bits)
//   checksum := 6 x base62 of CRC-32(random), most significant digit first, left-padded with '0'
//   base62   := [0-9A-Za-z] in that order of value
// The checksum lets a secret scanner or the server reject a mistyped or made-up token without a
// lookup. Plaintext tokens live only in FreshToken, returned once to the issuing caller.
#include <string>
#include <string_view>

#include "events/digest.h"

namespace pitlog::commands {

inline constexpr std::string_view kTokenPrefix = "pit_";
inline constexpr size_t kTokenRandomChars = 43;
inline constexpr size_t kTokenChecksumChars = 6;
inline constexpr size_t kTokenLength = 4 + kTokenRandomChars + kTokenChecksumChars;  // 53

struct FreshToken {
  std::string plaintext;
  events::Digest digest{};
  FreshToken() = default;
  FreshToken(const FreshToken&) = delete;
  FreshToken& operator=(const FreshToken&) = delete;
  FreshToken(FreshToken&&) = default;
  FreshToken& operator=(FreshToken&&) = default;
  ~FreshToken();  // wipes the plaintext
};

// A new random token. Throws if the CSPRNG fails.
FreshToken generateToken();

// The six checksum characters for 43 random characters.
std::string tokenChecksum(std::string_view random);

// True when the string has the token's shape: prefix, length, alphabet and checksum.
bool isWellFormedToken(std::string_view token);

// The last 4 characters of a token, which events keep so that views can show its hint.
std::string_view tokenTail(std::string_view token);
// "hint": "pit_", the character U+2026, then the token's last 4 characters.
std::string tokenHint(std::string_view tail);

}  // namespace pitlog::commands
