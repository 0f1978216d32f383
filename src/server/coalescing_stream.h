#pragma once
// An AsyncIoStream between an accepted connection and kj::HttpServer that sends each response in
// one write. kj-http 0.9.2 writes a response's head and its body as two writes (two syscalls,
// two TCP segments, two TLS records); here writes are gathered in memory and handed to the
// connection in one write once the event loop has nothing else left to run (kj::evalLast), so a
// head leaves with its body, and the answers to pipelined requests leave together. Nothing is
// reordered or changed: the connection receives exactly the bytes written, in order.
//
// Contract:
// - write() copies the bytes. It completes at once while no earlier batch is still waiting for
//   the connection and at most kMaxGathered bytes are gathered; otherwise it completes once its
//   bytes have been handed over (a client that does not read cannot make pitd hold much more
//   than kMaxGathered for it).
// - A failed write to the connection fails the writes and flush()es waiting on it, and every
//   later write.
// - flush() resolves once every byte written so far has been handed to the connection. Call it
//   before dropping the stream: bytes still gathered when the stream is destroyed are lost.
// - shutdownWrite() shuts the connection's write side once the gathered bytes have left.
// - Reads and socket calls go straight to the connection.
//
// Threading: the event loop of the connection, only.
#include <kj/async-io.h>
#include <kj/vector.h>

#include "server/forwarding_stream.h"

namespace pitlog::server {

class CoalescingStream final : public ForwardingStream {
 public:
  static constexpr size_t kMaxGathered = 64 * 1024;

  explicit CoalescingStream(kj::Own<kj::AsyncIoStream> inner);
  ~CoalescingStream() noexcept(false);

  kj::Promise<void> flush();

  kj::Promise<void> write(const void* buffer, size_t size) override;
  kj::Promise<void> write(kj::ArrayPtr<const kj::ArrayPtr<const kj::byte>> pieces) override;
  void shutdownWrite() override;

 private:
  using Waiters = kj::Vector<kj::Own<kj::PromiseFulfiller<void>>>;

  kj::Promise<void> afterGathering();
  void scheduleFlush();
  kj::Promise<void> flushGathered();
  void fail(kj::Exception&& e);
  static kj::Promise<void> waitOn(Waiters& waiters);

  kj::Vector<kj::byte> gathered_;  // not yet handed to inner_
  Waiters gatheredWaiters_;        // resolved once gathered_ has been written
  kj::Vector<kj::byte> sending_;   // the batch inner_ is writing (its buffer is reused)
  Waiters sendingWaiters_;
  bool flushScheduled_ = false;    // a flush is waiting for its turn or writing
  bool writing_ = false;           // inner_ is writing sending_
  bool shutdownRequested_ = false;
  kj::Maybe<kj::Exception> failure_;
  // Last: destroyed first, cancelling a write to inner_ before inner_ goes.
  kj::Promise<void> flushTask_ = kj::READY_NOW;
};

}  // namespace pitlog::server
