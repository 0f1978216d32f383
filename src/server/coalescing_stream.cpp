#include "server/coalescing_stream.h"

#include <utility>

namespace pitlog::server {

CoalescingStream::CoalescingStream(kj::Own<kj::AsyncIoStream> inner)
    : ForwardingStream(kj::mv(inner)) {}

CoalescingStream::~CoalescingStream() noexcept(false) = default;

kj::Promise<void> CoalescingStream::write(const void* buffer, size_t size) {
  KJ_IF_MAYBE(e, failure_) { return kj::cp(*e); }
  gathered_.addAll(kj::arrayPtr(static_cast<const kj::byte*>(buffer), size));
  return afterGathering();
}

kj::Promise<void> CoalescingStream::write(kj::ArrayPtr<const kj::ArrayPtr<const kj::byte>> pieces) {
  KJ_IF_MAYBE(e, failure_) { return kj::cp(*e); }
  for (auto piece : pieces) gathered_.addAll(piece);
  return afterGathering();
}

kj::Promise<void> CoalescingStream::afterGathering() {
  scheduleFlush();
  // The caller's next write usually comes within the same turn (kj writes a response's body as
  // soon as its head's write completes): completing now is what lets the two meet.
  if (!writing_ && gathered_.size() <= kMaxGathered) return kj::READY_NOW;
  return waitOn(gatheredWaiters_);
}

kj::Promise<void> CoalescingStream::flush() {
  KJ_IF_MAYBE(e, failure_) { return kj::cp(*e); }
  if (!gathered_.empty()) return waitOn(gatheredWaiters_);
  if (writing_) return waitOn(sendingWaiters_);
  return kj::READY_NOW;
}

void CoalescingStream::shutdownWrite() {
  if (flushScheduled_) {
    shutdownRequested_ = true;  // flushGathered() shuts down once the bytes have left
  } else {
    inner_->shutdownWrite();
  }
}

kj::Promise<void> CoalescingStream::waitOn(Waiters& waiters) {
  auto paf = kj::newPromiseAndFulfiller<void>();
  waiters.add(kj::mv(paf.fulfiller));
  return kj::mv(paf.promise);
}

void CoalescingStream::scheduleFlush() {
  if (flushScheduled_) return;
  flushScheduled_ = true;
  // The previous flushTask_ has finished (flushScheduled_ was false), so replacing it cancels
  // nothing. evalLast: every continuation already queued -- the body write following a head,
  // other connections' requests -- runs first, and may add to this batch.
  flushTask_ = kj::evalLast([this]() { return flushGathered(); })
                   .eagerlyEvaluate([this](kj::Exception&& e) { fail(kj::mv(e)); });
}

kj::Promise<void> CoalescingStream::flushGathered() {
  if (gathered_.empty()) {
    flushScheduled_ = false;
    if (shutdownRequested_) {
      shutdownRequested_ = false;
      inner_->shutdownWrite();
    }
    return kj::READY_NOW;
  }
  // Swap rather than move: both buffers keep their capacity, so a connection stops allocating
  // once it has seen its largest batch.
  std::swap(gathered_, sending_);
  std::swap(gatheredWaiters_, sendingWaiters_);
  writing_ = true;
  return inner_->write(sending_.begin(), sending_.size()).then([this]() {
    writing_ = false;
    sending_.clear();
    for (auto& waiter : sendingWaiters_) waiter->fulfill();
    sendingWaiters_.clear();
    // Writers released just now, and anything written meanwhile, go out as the next batch.
    return kj::evalLast([this]() { return flushGathered(); });
  });
}

void CoalescingStream::fail(kj::Exception&& e) {
  writing_ = false;
  flushScheduled_ = false;
  shutdownRequested_ = false;
  gathered_.clear();
  for (auto& waiter : sendingWaiters_) waiter->reject(kj::cp(e));
  for (auto& waiter : gatheredWaiters_) waiter->reject(kj::cp(e));
  sendingWaiters_.clear();
  gatheredWaiters_.clear();
  failure_ = kj::mv(e);
}

}  // namespace pitlog::server
