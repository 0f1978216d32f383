#pragma once
// An accepted connection as both ports serve it: every write must be taken by the peer within a
// deadline (ConnectionLimits::writeTimeout), the time of the last byte moved either way is kept
// (for idle timeouts), and the server may end the reading side on its own (endReads(): what has
// been answered still goes out, then the connection closes as if the client had hung up).
//
// Threading: the event loop of the connection, only.
#include <kj/async-io.h>
#include <kj/timer.h>

#include "server/forwarding_stream.h"

namespace pitlog::server {

class GuardedStream final : public ForwardingStream {
 public:
  // `timer` must outlive the stream.
  GuardedStream(kj::Own<kj::AsyncIoStream> inner, kj::Timer& timer, kj::Duration writeTimeout);
  ~GuardedStream() noexcept(false);

  // Every read from now on, and one in progress, ends at once with end-of-stream.
  void endReads();
  // When a byte last went either way (or the connection was accepted).
  kj::TimePoint lastActivity() const { return lastActivity_; }

  kj::Promise<size_t> tryRead(void* buffer, size_t minBytes, size_t maxBytes) override;

  // Fails with a DISCONNECTED exception when the peer has not taken the bytes in time.
  kj::Promise<void> write(const void* buffer, size_t size) override;
  kj::Promise<void> write(kj::ArrayPtr<const kj::ArrayPtr<const kj::byte>> pieces) override;

 private:
  kj::Promise<void> deadline(kj::Promise<void> write);

  kj::Timer& timer_;
  kj::Duration writeTimeout_;
  kj::TimePoint lastActivity_;
  bool readsEnded_ = false;
  kj::Own<kj::PromiseFulfiller<void>> endReads_;
  kj::ForkedPromise<void> readsEndedSignal_;
};

}  // namespace pitlog::server
