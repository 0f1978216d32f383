#pragma once
// The accept loop of a port, HTTP or RPC (and the raw sockets under TLS): hands every accepted
// connection to `serve`, holds at most `maxConnections` open at once, and never gives up.
//
// - A failed accept (EMFILE/ENFILE when descriptors run out, ENOBUFS, ...) is temporary: one
//   warning per episode, a back-off growing from 10 ms to 1 s, and accepting again. Connections
//   already open are served throughout; one line says when accepting works again.
// - At the limit, a new connection is accepted and closed at once (one warning per episode): the
//   kernel's queue does not fill with clients waiting for nothing.
// - Metrics (when given) get the open connections, the refused ones, the failed accepts, and
//   whether the port accepts at this moment (/healthz reads the last).
//
// Threading: the event loop the receiver belongs to.
#include <kj/async-io.h>
#include <kj/timer.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

namespace pitlog::server {

class Metrics;

class AcceptLoop {
 public:
  // Takes a connection; the connection counts as open until the stream it was given is destroyed.
  using Serve = std::function<void(kj::Own<kj::AsyncIoStream>)>;

  // The connections open on a port, counted by every accept loop of that port (one per event
  // loop), so that maxConnections bounds the port, not each loop.
  using OpenCount = std::shared_ptr<std::atomic<size_t>>;

  // `receiver`, `timer` and `metrics` must outlive the loop's promise; `protocol` labels logs and
  // metrics ("http", "rpc", "tls-http"...). `open`: the port's count, shared with the port's other
  // loops; null: this loop is the port's only one.
  AcceptLoop(kj::ConnectionReceiver& receiver, kj::Timer& timer, std::string protocol,
             size_t maxConnections, Serve serve, Metrics* metrics = nullptr,
             OpenCount open = nullptr);

  // Accepts until dropped; never resolves and never rejects.
  kj::Promise<void> run();

  size_t open() const { return open_->load(); }

 private:
  kj::Promise<void> acceptOne();
  kj::Promise<void> retryAfterFailure(kj::Exception&& e);
  void take(kj::Own<kj::AsyncIoStream> connection);

  kj::ConnectionReceiver& receiver_;
  kj::Timer& timer_;
  std::string protocol_;
  size_t maxConnections_;
  Serve serve_;
  Metrics* metrics_;
  // Shared with every open connection's slot, which may outlive the loop (during a drain), and
  // with the port's other loops.
  OpenCount open_;
  kj::Duration backoff_ = 0 * kj::SECONDS;  // 0 while accepting works
  bool atLimit_ = false;
};

}  // namespace pitlog::server
