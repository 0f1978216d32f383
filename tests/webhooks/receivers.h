#pragma once
// Webhook receivers for the sender's tests, on loopback ports of the test's own event loop:
// a kj-http server that records what it is sent and answers as told (or never), optionally over
// TLS with a test certificate, and a raw one that trickles its status line.
#include <kj/async-io.h>
#include <kj/compat/http.h>
#include <kj/compat/tls.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace pitlog::webhooks::testing {

struct ReceivedRequest {
  std::string method;
  std::string url;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

class Receiver final : private kj::HttpService {
 public:
  enum class Behaviour { kAnswer, kHang };

  // Listens on 127.0.0.1 at a free port; over TLS when `tls` is given (a server context).
  Receiver(kj::AsyncIoContext& io, kj::TlsContext* tls = nullptr);
  ~Receiver() noexcept(false);

  uint16_t port() const { return port_; }
  void answerWith(int status, std::string location = {}) {
    status_ = status;
    location_ = std::move(location);
  }
  void hang() { behaviour_ = Behaviour::kHang; }
  const std::vector<ReceivedRequest>& received() const { return received_; }

 private:
  kj::Promise<void> request(kj::HttpMethod method, kj::StringPtr url,
                            const kj::HttpHeaders& headers, kj::AsyncInputStream& body,
                            Response& response) override;

  kj::HttpHeaderTable table_;
  kj::Own<kj::ConnectionReceiver> listener_;
  kj::HttpServer server_;
  kj::Promise<void> serving_;
  uint16_t port_ = 0;
  int status_ = 200;
  std::string location_;
  Behaviour behaviour_ = Behaviour::kAnswer;
  std::vector<ReceivedRequest> received_;
};

// Accepts one connection on 127.0.0.1, reads nothing, writes `head` and then one byte `intervalMs`
// apart, for ever: within the head of its answer if `head` is unfinished ("HTTP/1.1 200 OK\r\n"),
// within the body if `head` is whole and promises a long one.
class TricklingReceiver {
 public:
  TricklingReceiver(kj::AsyncIoContext& io, int intervalMs, std::string head);
  uint16_t port() const { return port_; }

 private:
  kj::Promise<void> trickle(kj::AsyncIoStream& stream);
  kj::AsyncIoContext& io_;
  int intervalMs_;
  std::string head_;
  kj::Own<kj::ConnectionReceiver> listener_;
  kj::Promise<void> serving_;
  uint16_t port_ = 0;
};

// Accepts one connection on 127.0.0.1, reads the first bytes of the request (all of it, or only
// a part) and closes it without a word.
class ClosingReceiver {
 public:
  explicit ClosingReceiver(kj::AsyncIoContext& io);
  uint16_t port() const { return port_; }

 private:
  kj::Own<kj::ConnectionReceiver> listener_;
  kj::byte buffer_[64];
  kj::Promise<void> serving_;
  uint16_t port_ = 0;
};

// A free port on 127.0.0.1 that nothing listens on (it was bound, then closed).
uint16_t closedPort(kj::AsyncIoContext& io);

// A server context presenting `certPem` with `keyPem`.
kj::Own<kj::TlsContext> serverTls(const std::string& certPem, const std::string& keyPem);

}  // namespace pitlog::webhooks::testing
