#pragma once
// A small blocking HTTP/1.1 client for the end-to-end tests: one connection per request over
// loopback, `Connection: close`. It can also send raw bytes, for requests no well-behaved client
// would write. Responses are read by Content-Length (or chunked), so the client never depends on
// the server closing first.
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace pitlog::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 0;
  std::multimap<std::string, std::string> headers;  // names in lower case
  std::string body;
  bool hasContentLength = false;

  bool has(const std::string& lowerName) const { return headers.count(lowerName) > 0; }
  // The first value of a header, or "" when absent.
  std::string header(const std::string& lowerName) const;
};

// Sends `method target` with the headers (Host and Connection are added) and the body (with its
// Content-Length when not empty, or when the method is not GET). Throws std::runtime_error when
// the connection fails or the response cannot be parsed.
HttpResponse httpRequest(int port, const std::string& method, const std::string& target,
                         const Headers& headers = {}, const std::string& body = {});

// Parses a response's status line and headers (the text before the blank line); the body is the
// caller's to read. Throws std::runtime_error on a status line that is not HTTP/1.1.
HttpResponse parseResponseHead(const std::string& head);

// Standard base64 (RFC 4648, padded) of `text`, as Basic credentials carry it; written here from
// the RFC rather than taken from the product, so that a test of the product's decoder is not the
// product agreeing with itself.
std::string basicAuthEncoding(const std::string& text);

// Sends the bytes as they are and parses the response.
HttpResponse httpRaw(int port, const std::string& bytes);

// The body with every plaintext token replaced by "pit_<redacted>", for failure messages: tests
// never print a token.
std::string redacted(const std::string& text);

}  // namespace pitlog::testing
