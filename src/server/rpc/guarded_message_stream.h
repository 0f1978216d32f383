#pragma once
// The message stream under one RPC connection's TwoPartyVatNetwork: it reads and writes Cap'n
// Proto messages as AsyncIoMessageStream does, and looks at each (only its kind and question id)
// to hold a client to the limits below, whoever it is. Why here: capnp 0.9.2's RpcSystem keeps an
// answer for every Bootstrap or Call until the client sends Finish, and reads as fast as the
// client writes, so one unauthenticated connection could make pitd hold ~1.5 KB per 48-byte
// message without bound.
//
// - At most kMaxMessagesBeforeLogin messages before a login succeeds (loggedIn()).
// - At most kMaxUnfinished questions answered but not finished (Bootstrap or Call answered, the
//   client's Finish not yet read) for longer than kUnfinishedGrace, and never more than
//   kMaxUnfinishedHard: a well-behaved client finishes each as it takes the answer, but one that
//   pipelines thousands of calls and is slow to read (a loaded machine) can have many answers in
//   the socket's buffers at once, and must not lose its connection -- and the commands it is
//   owed answers for -- for that. A client that never finishes is cut off within the grace.
// Beyond either the read fails with an exception naming the limit (limitHit() keeps its text),
// and the RpcSystem ends the connection, sending the client an Abort with that text.
// - No new message is read while kMaxCallsInProgress calls wait for their answers, or while more
//   than kMaxQueuedOutput bytes of answers wait to be written (setOutputQueued()): a client that
//   pipelines without bound, or does not read its answers, is simply read more slowly.
//
// drain() stops taking calls (later ones are read and dropped, their callers see the connection
// end) and resolves once every call taken so far has been answered and its answer written, so
// that a shutdown answers every command it applied.
//
// Threading: the connection's event loop.
#include <capnp/serialize-async.h>
#include <kj/timer.h>
#include <kj/vector.h>

#include <functional>
#include <unordered_set>

namespace pitlog::rpc {

class GuardedMessageStream final : public capnp::MessageStream {
 public:
  static constexpr size_t kMaxMessagesBeforeLogin = 32;
  static constexpr size_t kMaxUnfinished = 1024;
  static constexpr size_t kMaxUnfinishedHard = 8192;
  static constexpr kj::Duration kUnfinishedGrace = 2 * kj::SECONDS;
  static constexpr size_t kMaxCallsInProgress = 1024;
  static constexpr size_t kMaxQueuedOutput = 1024 * 1024;

  // `stream` and `timer` must outlive this object.
  GuardedMessageStream(kj::AsyncIoStream& stream, kj::Timer& timer);

  // The bytes of answers queued above this stream (TwoPartyVatNetwork::getCurrentQueueSize()).
  void setOutputQueued(std::function<size_t()> queued) { queued_ = std::move(queued); }
  void loggedIn() { loggedIn_ = true; }
  bool isLoggedIn() const { return loggedIn_; }
  // Calls read and not yet answered.
  size_t unanswered() const { return unanswered_.size(); }
  // The limit that ended the connection, if one did.
  const kj::Maybe<kj::String>& limitHit() const { return limitHit_; }

  kj::Promise<void> drain();

  kj::Promise<kj::Maybe<capnp::MessageReaderAndFds>> tryReadMessage(
      kj::ArrayPtr<kj::AutoCloseFd> fdSpace, capnp::ReaderOptions options,
      kj::ArrayPtr<capnp::word> scratchSpace) override;
  kj::Promise<void> writeMessage(kj::ArrayPtr<const int> fds,
                                 kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>> segments)
      override;
  kj::Promise<void> writeMessages(
      kj::ArrayPtr<kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>>> messages) override;
  kj::Maybe<int> getSendBufferSize() override { return inner_.getSendBufferSize(); }
  kj::Promise<void> end() override { return inner_.end(); }

 private:
  bool mayRead() const;
  kj::Promise<kj::Maybe<capnp::MessageReaderAndFds>> discardUntilEnd(
      kj::ArrayPtr<kj::AutoCloseFd> fdSpace, capnp::ReaderOptions options,
      kj::ArrayPtr<capnp::word> scratchSpace);
  void inspectIncoming(capnp::MessageReader& message);
  void refuse(kj::StringPtr limit);
  void checkUnfinished();
  void inspectOutgoing(kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>> segments);
  kj::Promise<void> tracked(kj::Promise<void> write);
  // Resolves once `done()` holds, checked after each write and every 50 ms.
  kj::Promise<void> until(std::function<bool()> done);
  kj::Promise<void> nextWriteOrTick();

  capnp::AsyncIoMessageStream inner_;
  kj::Timer& timer_;
  std::function<size_t()> queued_ = [] { return size_t(0); };
  bool loggedIn_ = false;
  bool draining_ = false;
  size_t messagesRead_ = 0;
  size_t writesInProgress_ = 0;
  kj::Maybe<kj::TimePoint> overUnfinishedSince_;  // since when more than kMaxUnfinished
  kj::Maybe<kj::String> limitHit_;
  std::unordered_set<uint32_t> questions_;   // Bootstrap/Call read, Finish not yet read
  std::unordered_set<uint32_t> unanswered_;  // Bootstrap/Call read, Return not yet written
  kj::Vector<kj::Own<kj::PromiseFulfiller<void>>> writeWaiters_;  // woken by the next write
};

}  // namespace pitlog::rpc
