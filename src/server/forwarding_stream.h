#pragma once
// An AsyncIoStream that passes every call to the stream it wraps: the base of pitd's stream
// wrappers (GuardedStream, CoalescingStream, TLS's first-byte replay), so that each of them
// overrides only the calls it changes and none can forget a socket call.
//
// The wrapped stream is a member of this base, so it is destroyed after everything a derived
// class holds: a write still pending on it is cancelled before it goes.
//
// getFd() is not forwarded on purpose: a caller writing to the descriptor itself would overtake
// whatever a wrapper holds back.
#include <kj/async-io.h>

namespace pitlog::server {

class ForwardingStream : public kj::AsyncIoStream {
 public:
  explicit ForwardingStream(kj::Own<kj::AsyncIoStream> inner) : inner_(kj::mv(inner)) {}

  kj::Promise<size_t> tryRead(void* buffer, size_t minBytes, size_t maxBytes) override {
    return inner_->tryRead(buffer, minBytes, maxBytes);
  }
  kj::Maybe<uint64_t> tryGetLength() override { return inner_->tryGetLength(); }
  void abortRead() override { inner_->abortRead(); }

  kj::Promise<void> write(const void* buffer, size_t size) override {
    return inner_->write(buffer, size);
  }
  kj::Promise<void> write(kj::ArrayPtr<const kj::ArrayPtr<const kj::byte>> pieces) override {
    return inner_->write(pieces);
  }
  kj::Promise<void> whenWriteDisconnected() override { return inner_->whenWriteDisconnected(); }
  void shutdownWrite() override { inner_->shutdownWrite(); }

  void getsockopt(int level, int option, void* value, kj::uint* length) override {
    inner_->getsockopt(level, option, value, length);
  }
  void setsockopt(int level, int option, const void* value, kj::uint length) override {
    inner_->setsockopt(level, option, value, length);
  }
  void getsockname(struct sockaddr* addr, kj::uint* length) override {
    inner_->getsockname(addr, length);
  }
  void getpeername(struct sockaddr* addr, kj::uint* length) override {
    inner_->getpeername(addr, length);
  }

 protected:
  kj::Own<kj::AsyncIoStream> inner_;
};

}  // namespace pitlog::server
