#pragma once
// A ConnectionReceiver that hands out only connections whose TLS handshake has succeeded, for the
// HTTP server and the RPC accept loop alike.
//
// Why not kj::TlsContext::wrapPort(): Cap'n Proto 0.9.2's receiver does handshake concurrently,
// but it reports every failed handshake -- routine on any reachable port: scanners, plain HTTP,
// clients that distrust the certificate -- as a KJ_LOG(ERROR) line on stderr, outside pitd's log
// format and without the peer, and it has no way to hand that to the caller (TlsErrorHandler came
// later). Here each failure is one structured `info` line naming the peer; every handshake is
// bounded by timeouts (a client that never starts loses its socket after kFirstByteTimeout, one
// that stops mid-handshake after kHandshakeTimeout), and so is the number in progress, in all and
// per peer, the oldest giving way to the newest. A failure closes that connection and touches
// nothing else.
#include <kj/async-io.h>
#include <kj/compat/tls.h>
#include <kj/time.h>

#include "server/accept_loop.h"

#include <cstdint>
#include <deque>
#include <list>
#include <string>

namespace pitlog::server {

class Metrics;

class TlsReceiver final : public kj::ConnectionReceiver, private kj::TaskSet::ErrorHandler {
 public:
  // How long a client may take to send its first byte (the ClientHello's): silent sockets go
  // quickly, so that a flood of them cannot hold the handshake slots.
  static constexpr kj::Duration kFirstByteTimeout = 2 * kj::SECONDS;
  // How long a client may take to complete its handshake.
  static constexpr kj::Duration kHandshakeTimeout = 10 * kj::SECONDS;
  // Handshakes in progress, in all and from one peer address. Beyond either, the oldest handshake
  // (of that peer, or of all) is dropped to make room for the new one: a flood of idle sockets
  // cannot lock out a client that arrives after it, and costs a file descriptor each at most.
  static constexpr size_t kMaxPendingHandshakes = 512;
  static constexpr size_t kMaxPendingPerPeer = 64;

  // Starts accepting on `inner` at once (through an AcceptLoop: a failed accept is retried, and
  // reported to `metrics` as the port "<protocol>-tcp"). `tls`, `timer` and `metrics` must outlive
  // the receiver; `protocol` ("http", "rpc") labels log lines. Runs on the calling thread's loop.
  TlsReceiver(kj::TlsContext& tls, kj::Timer& timer, kj::Own<kj::ConnectionReceiver> inner,
              std::string protocol, Metrics* metrics = nullptr);
  ~TlsReceiver() noexcept(false);

  // The next connection whose handshake succeeded, in the order the handshakes completed. Never
  // rejects: accepting on the inner socket is retried until it works again.
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
  struct Pending {
    uint64_t id;
    std::string host;  // the peer's address without its port
    kj::Own<kj::PromiseFulfiller<void>> shed;
  };

  void start(kj::Own<kj::AsyncIoStream> raw);
  void shedOldest(const std::string* host);
  kj::Promise<kj::Own<kj::AsyncIoStream>> handshake(kj::Own<kj::AsyncIoStream> raw);
  bool forget(uint64_t id);  // false when it was shed already
  void deliver(kj::Own<kj::AsyncIoStream> stream);
  void taskFailed(kj::Exception&& exception) override;

  kj::TlsContext& tls_;
  kj::Timer& timer_;
  kj::Own<kj::ConnectionReceiver> inner_;
  std::string protocol_;
  uint64_t failures_ = 0;
  uint64_t nextId_ = 0;
  std::list<Pending> pending_;  // oldest first
  std::deque<kj::Own<kj::AsyncIoStream>> ready_;  // handshaken, waiting for an accept()
  std::deque<kj::Own<kj::PromiseFulfiller<kj::Own<kj::AsyncIoStream>>>> waiters_;
  kj::TaskSet handshakes_;  // declared after what the tasks use: destroyed before it
  kj::Own<AcceptLoop> accepts_;
  kj::Promise<void> accepting_ = nullptr;
};

// `inner` itself without TLS; with it, a TlsReceiver over `inner` (the arguments as above): what
// every port hands its accept loop.
kj::Own<kj::ConnectionReceiver> withTls(kj::Own<kj::ConnectionReceiver> inner, kj::TlsContext* tls,
                                        kj::Timer& timer, std::string protocol,
                                        Metrics* metrics);

}  // namespace pitlog::server
