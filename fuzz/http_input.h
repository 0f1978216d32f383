#pragma once
// The input format of fuzz_http, shared by the target (which decodes it into the raw bytes of an
// HTTP/1.1 request) and make_corpus (which encodes real requests as seeds). A structured form
// lets mutations land in one part of a request (a JSON body of a valid route, with a valid
// service key and actor) instead of breaking the request line of every input.
//
//   input      := flags:u8 rest
//   flags bit 0 set:   rest is sent as it is: raw bytes, pipelined requests, broken syntax
//   flags bit 0 clear: rest := method:u8 path 0x1F headers 0x1F body
//     method      one of kMethods, by its value modulo their count ("BREW" is not HTTP)
//     headers     '\n'-separated lines, each sent as a header line ending in CRLF
//     bit 1       adds `Authorization: Bearer $KEY`
//     bit 2       adds `X-Actor-User: alice`; bit 3 picks `X-Actor-Role: admin`, else `user`
//     bit 4       adds `Content-Type: application/json`
//     bit 5       sends the body chunked, else with its Content-Length (always for non-GET)
//     bit 6       adds `Connection: close`
// In both forms the placeholders below are replaced by values of the fuzzer's database, so a
// mutation can name a live integration, a live token or the service key without guessing them.
#include <array>
#include <string>
#include <string_view>

namespace pitlog::fuzz {

inline constexpr char kSeparator = '\x1f';
inline constexpr std::array<std::string_view, 8> kMethods = {
    "GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS", "BREW"};

namespace flag {
inline constexpr unsigned kRaw = 1, kKey = 2, kActor = 4, kAdmin = 8, kJson = 16, kChunked = 32,
                          kClose = 64;
}

// Placeholder -> value; the target fills these from its database.
struct Placeholders {
  std::string id;     // $ID    an integration of account "acme"
  std::string id2;    // $ID2   another one of "acme", with a rotation pending
  std::string other;  // $OTHER an integration of account "globex"
  std::string token;  // $TOKEN the current token of $ID2
  std::string key;    // $KEY   the service key
};

// The HTTP bytes an input stands for.
std::string decodeInput(std::string_view input, const Placeholders& values);

// The structured input for a request (a seed): `method` must be one of kMethods.
std::string encodeInput(unsigned flags, std::string_view method, std::string_view path,
                        std::string_view headers, std::string_view body);

}  // namespace pitlog::fuzz
