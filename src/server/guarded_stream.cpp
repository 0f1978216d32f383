#include "server/guarded_stream.h"

#include <kj/debug.h>

namespace pitlog::server {

namespace {

kj::ForkedPromise<void> endSignal(kj::Own<kj::PromiseFulfiller<void>>& fulfiller) {
  auto paf = kj::newPromiseAndFulfiller<void>();
  fulfiller = kj::mv(paf.fulfiller);
  return paf.promise.fork();
}

}  // namespace

GuardedStream::GuardedStream(kj::Own<kj::AsyncIoStream> inner, kj::Timer& timer,
                             kj::Duration writeTimeout)
    : ForwardingStream(kj::mv(inner)),
      timer_(timer),
      writeTimeout_(writeTimeout),
      lastActivity_(timer.now()),
      readsEndedSignal_(endSignal(endReads_)) {}

GuardedStream::~GuardedStream() noexcept(false) = default;

void GuardedStream::endReads() {
  if (readsEnded_) return;
  readsEnded_ = true;
  endReads_->fulfill();
}

kj::Promise<size_t> GuardedStream::tryRead(void* buffer, size_t minBytes, size_t maxBytes) {
  if (readsEnded_) return size_t(0);
  return inner_->tryRead(buffer, minBytes, maxBytes)
      .then([this](size_t n) {
        if (n > 0) lastActivity_ = timer_.now();
        return n;
      })
      .exclusiveJoin(readsEndedSignal_.addBranch().then([]() { return size_t(0); }));
}

kj::Promise<void> GuardedStream::write(const void* buffer, size_t size) {
  return deadline(inner_->write(buffer, size));
}

kj::Promise<void> GuardedStream::write(kj::ArrayPtr<const kj::ArrayPtr<const kj::byte>> pieces) {
  return deadline(inner_->write(pieces));
}

kj::Promise<void> GuardedStream::deadline(kj::Promise<void> write) {
  // Cancelling a write on timeout leaves the stream mid-message: the connection is over, which is
  // what the DISCONNECTED exception tells every layer above.
  return write.then([this]() { lastActivity_ = timer_.now(); })
      .exclusiveJoin(timer_.afterDelay(writeTimeout_).then([]() -> kj::Promise<void> {
        return KJ_EXCEPTION(DISCONNECTED, "the peer took no bytes within the write timeout");
      }));
}

}  // namespace pitlog::server
