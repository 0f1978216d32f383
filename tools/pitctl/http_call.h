#pragma once
// One blocking HTTP exchange over kj-http, for command-line clients. Each call runs its own
// event loop: pitctl makes one request per invocation, so nothing is gained by keeping one.
#include <map>
#include <stdexcept>
#include <string>

namespace pitlog::tools {

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

class HttpCallError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// baseUrl is "http://host:port" or "https://host:port" (no path); target is the path with its
// query. Over https the server's certificate must chain to the system's trust store or to the
// PEM certificate(s) in caFile (when not empty, e.g. pitd's self-signed one) and name `host`.
// Throws HttpCallError when the server cannot be reached, is not trusted, or the exchange breaks.
HttpReply httpCall(const std::string& baseUrl, const std::string& method, const std::string& target,
                   const std::map<std::string, std::string>& headers, const std::string& body,
                   const std::string& caFile = {});

}  // namespace pitlog::tools
