#pragma once
// A minimal HTTP/1.1 client that keeps its connection open across requests, as an API gateway
// does when it introspects (the e2e support client opens one connection per request, which would
// measure connection set-up rather than pitd). Responses are read by Content-Length; pitd sends
// one on every answer the soak asks for. Not thread-safe: one per thread.
#include <string>

#include "support/http_client.h"

namespace pitlog::campaigns::soak {

class KeepAliveConnection {
 public:
  explicit KeepAliveConnection(int port) : port_(port) {}
  ~KeepAliveConnection();
  KeepAliveConnection(const KeepAliveConnection&) = delete;
  KeepAliveConnection& operator=(const KeepAliveConnection&) = delete;

  // Sends one request (Host and Content-Length added) and reads its answer. When a connection that
  // served earlier requests turns out closed before any answer byte, the request is sent once
  // more on a fresh one (a server may close an idle connection; only idempotent requests should
  // be sent this way). Throws std::runtime_error on any other failure.
  testing::HttpResponse request(const std::string& method, const std::string& target,
                                const testing::Headers& headers, const std::string& body);

  // Connections opened after the first.
  long reconnects() const { return reconnects_; }

 private:
  void connect();
  void close();
  // False when the connection ended before the first byte of the answer.
  bool roundTrip(const std::string& bytes, testing::HttpResponse* out);

  int port_;
  int fd_ = -1;
  bool used_ = false;
  long reconnects_ = -1;
  std::string buffer_;  // bytes read past the previous answer
};

}  // namespace pitlog::campaigns::soak
