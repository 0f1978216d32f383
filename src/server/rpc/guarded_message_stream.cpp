#include "server/rpc/guarded_message_stream.h"

#include <capnp/rpc.capnp.h>
#include <capnp/serialize.h>
#include <kj/debug.h>

namespace pitlog::rpc {

GuardedMessageStream::GuardedMessageStream(kj::AsyncIoStream& stream, kj::Timer& timer)
    : inner_(stream), timer_(timer) {}

kj::Promise<kj::Maybe<capnp::MessageReaderAndFds>> GuardedMessageStream::tryReadMessage(
    kj::ArrayPtr<kj::AutoCloseFd> fdSpace, capnp::ReaderOptions options,
    kj::ArrayPtr<capnp::word> scratchSpace) {
  if (draining_) return kj::NEVER_DONE;  // the connection closes once drained
  if (queued_() > kMaxQueuedOutput) {
    // The client is not reading its answers: stop reading its calls until they have left.
    return until([this]() { return queued_() <= kMaxQueuedOutput; })
        .then([this, fdSpace, options, scratchSpace]() {
          return tryReadMessage(fdSpace, options, scratchSpace);
        });
  }
  return inner_.tryReadMessage(fdSpace, options, scratchSpace)
      .then([this](kj::Maybe<capnp::MessageReaderAndFds>&& message) {
        KJ_IF_MAYBE(m, message) { inspectIncoming(*m->reader); }
        return kj::mv(message);
      });
}

void GuardedMessageStream::inspectIncoming(capnp::MessageReader& message) {
  ++messagesRead_;
  KJ_REQUIRE(loggedIn_ || messagesRead_ <= kMaxMessagesBeforeLogin,
             "too many messages before a successful login", kMaxMessagesBeforeLogin);
  auto root = message.getRoot<capnp::rpc::Message>();
  switch (root.which()) {
    case capnp::rpc::Message::BOOTSTRAP:
    case capnp::rpc::Message::CALL: {
      const uint32_t id = root.isCall() ? root.getCall().getQuestionId()
                                        : root.getBootstrap().getQuestionId();
      questions_.insert(id);
      unanswered_.insert(id);
      KJ_REQUIRE(questions_.size() <= kMaxQuestionsInFlight,
                 "too many questions in flight (calls not finished)", kMaxQuestionsInFlight);
      break;
    }
    case capnp::rpc::Message::FINISH:
      questions_.erase(root.getFinish().getQuestionId());
      break;
    default:
      break;
  }
}

void GuardedMessageStream::inspectOutgoing(
    kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>> segments) {
  capnp::SegmentArrayMessageReader reader(segments);
  auto root = reader.getRoot<capnp::rpc::Message>();
  if (root.isReturn()) unanswered_.erase(root.getReturn().getAnswerId());
}

kj::Promise<void> GuardedMessageStream::writeMessage(
    kj::ArrayPtr<const int> fds, kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>> segments) {
  inspectOutgoing(segments);
  return tracked(inner_.writeMessage(fds, segments));
}

kj::Promise<void> GuardedMessageStream::writeMessages(
    kj::ArrayPtr<kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>>> messages) {
  for (auto& segments : messages) inspectOutgoing(segments);
  return tracked(inner_.writeMessages(messages));
}

kj::Promise<void> GuardedMessageStream::tracked(kj::Promise<void> write) {
  ++writesInProgress_;
  auto wake = [this]() {
    --writesInProgress_;
    auto waiters = kj::mv(writeWaiters_);
    writeWaiters_ = {};
    for (auto& waiter : waiters) waiter->fulfill();
  };
  return write.then([wake]() { wake(); }, [wake](kj::Exception&& e) {
    wake();
    kj::throwRecoverableException(kj::mv(e));
  });
}

kj::Promise<void> GuardedMessageStream::nextWriteOrTick() {
  auto paf = kj::newPromiseAndFulfiller<void>();
  writeWaiters_.add(kj::mv(paf.fulfiller));
  return paf.promise.exclusiveJoin(timer_.afterDelay(50 * kj::MILLISECONDS));
}

kj::Promise<void> GuardedMessageStream::until(std::function<bool()> done) {
  if (done()) return kj::READY_NOW;
  // evalLater: the network counts a message out of its queue just after its write completes.
  return nextWriteOrTick().then([this, done = std::move(done)]() mutable {
    return kj::evalLater([this, done = std::move(done)]() mutable { return until(std::move(done)); });
  });
}

kj::Promise<void> GuardedMessageStream::drain() {
  draining_ = true;
  return until([this]() { return unanswered_.empty() && writesInProgress_ == 0 && queued_() == 0; });
}

}  // namespace pitlog::rpc
