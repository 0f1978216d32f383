#pragma once
// A ConnectionReceiver that hands out only connections whose TLS handshake has succeeded, for the
// HTTP server and the RPC accept loop alike.
//
// Why not kj::TlsContext::wrapPort(): Cap'n Proto 0.9.2's receiver does handshake concurrently,
// but it reports every failed handshake -- routine on any reachable port: scanners, plain HTTP,
// clients that distrust the certificate -- as a KJ_LOG(ERROR) line on stderr, outside pitd's log
// format and without the peer, and it has no way to hand that to the caller (TlsErrorHandler came
// later). Here each failure is one structured `info` line naming the peer; every handshake is
// bounded by a timeout (a client that stops mid-handshake, or never starts, loses its socket), and
// so is the number in progress. A failure closes that connection and touches nothing else.
#include <kj/async-io.h>
#include <kj/compat/tls.h>
#include <kj/time.h>

#include <cstdint>
#include <deque>
#include <string>

namespace pitlog::server {

class TlsReceiver final : public kj::ConnectionReceiver, private kj::TaskSet::ErrorHandler {
 public:
  // How long a client may take to complete its handshake.
  static constexpr kj::Duration kHandshakeTimeout = 10 * kj::SECONDS;
  // Handshakes in progress beyond which new connections are closed at once: a flood of idle
  // sockets costs a file descriptor each, not a handshake's buffers each.
  static constexpr size_t kMaxPendingHandshakes = 512;

  // Starts accepting on `inner` at once. `tls` and `timer` must outlive the receiver; `protocol`
  // ("http", "rpc") only labels log lines. Runs on the calling thread's event loop.
  TlsReceiver(kj::TlsContext& tls, kj::Timer& timer, kj::Own<kj::ConnectionReceiver> inner,
              std::string protocol);
  ~TlsReceiver() noexcept(false);

  // The next connection whose handshake succeeded, in the order the handshakes completed.
  // Rejects only when accepting on the inner socket fails, as a plain receiver's would.
  kj::Promise<kj::Own<kj::AsyncIoStream>> accept() override;
  uint getPort() override { return inner_->getPort(); }
  void getsockopt(int level, int option, void* value, uint* length) override {
    inner_->getsockopt(level, option, value, length);
  }
  void setsockopt(int level, int option, const void* value, uint length) override {
    inner_->setsockopt(level, option, value, length);
  }

  uint64_t handshakeFailures() const { return failures_; }

 private:
  kj::Promise<void> acceptLoop();
  kj::Promise<void> handshake(kj::Own<kj::AsyncIoStream> raw);
  void deliver(kj::Own<kj::AsyncIoStream> stream);
  void taskFailed(kj::Exception&& exception) override;

  kj::TlsContext& tls_;
  kj::Timer& timer_;
  kj::Own<kj::ConnectionReceiver> inner_;
  std::string protocol_;
  size_t pending_ = 0;
  uint64_t failures_ = 0;
  kj::Maybe<kj::Exception> acceptFailure_;
  std::deque<kj::Own<kj::AsyncIoStream>> ready_;  // handshaken, waiting for an accept()
  std::deque<kj::Own<kj::PromiseFulfiller<kj::Own<kj::AsyncIoStream>>>> waiters_;
  kj::TaskSet handshakes_;           // declared after what the tasks use: destroyed before it
  kj::Promise<void> accepting_ = nullptr;
};

}  // namespace pitlog::server
