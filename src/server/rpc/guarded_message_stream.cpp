#include "server/rpc/guarded_message_stream.h"

#include <capnp/rpc.capnp.h>
#include <capnp/serialize.h>
#include <kj/debug.h>

#include <algorithm>

namespace pitlog::rpc {

GuardedMessageStream::GuardedMessageStream(kj::AsyncIoStream& stream, kj::Timer& timer)
    : inner_(stream), timer_(timer) {}

kj::Promise<kj::Maybe<capnp::MessageReaderAndFds>> GuardedMessageStream::tryReadMessage(
    kj::ArrayPtr<kj::AutoCloseFd> fdSpace, capnp::ReaderOptions options,
    kj::ArrayPtr<capnp::word> scratchSpace) {
  if (draining_) return discardUntilEnd(fdSpace, options, scratchSpace);
  if (!mayRead()) {
    // The client is not reading its answers, or has many calls waiting: read it once they left.
    return until([this]() { return mayRead(); })
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

kj::Promise<kj::Maybe<capnp::MessageReaderAndFds>> GuardedMessageStream::discardUntilEnd(
    kj::ArrayPtr<kj::AutoCloseFd> fdSpace, capnp::ReaderOptions options,
    kj::ArrayPtr<capnp::word> scratchSpace) {
  // Calls sent after the drain began are not taken (their callers see the connection end), but
  // their bytes are read: closing a socket with unread bytes makes the kernel reset it, and the
  // client could lose the answers still on their way.
  return inner_.tryReadMessage(fdSpace, options, scratchSpace)
      .then([this, fdSpace, options, scratchSpace](kj::Maybe<capnp::MessageReaderAndFds>&& message)
                -> kj::Promise<kj::Maybe<capnp::MessageReaderAndFds>> {
        if (message == nullptr) return kj::mv(message);
        return discardUntilEnd(fdSpace, options, scratchSpace);
      });
}

bool GuardedMessageStream::mayRead() const {
  return unanswered_.size() < kMaxCallsInProgress && queued_() <= kMaxQueuedOutput;
}

void GuardedMessageStream::refuse(kj::StringPtr limit) {
  limitHit_ = kj::str(limit);
  kj::throwFatalException(KJ_EXCEPTION(FAILED, limit));
}

void GuardedMessageStream::inspectIncoming(capnp::MessageReader& message) {
  ++messagesRead_;
  if (!loggedIn_ && messagesRead_ > kMaxMessagesBeforeLogin) {
    refuse("too many messages before a successful login (at most 32)");
  }
  auto root = message.getRoot<capnp::rpc::Message>();
  switch (root.which()) {
    case capnp::rpc::Message::BOOTSTRAP:
    case capnp::rpc::Message::CALL: {
      const uint32_t id = root.isCall() ? root.getCall().getQuestionId()
                                        : root.getBootstrap().getQuestionId();
      questions_.insert(id);
      unanswered_.insert(id);
      checkUnfinished();
      break;
    }
    case capnp::rpc::Message::FINISH:
      questions_.erase(root.getFinish().getQuestionId());
      checkUnfinished();
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

void GuardedMessageStream::checkUnfinished() {
  // The answered ones among the questions (a question finished early may stay unanswered a
  // little longer, which only makes this count smaller).
  const size_t unfinished = questions_.size() - std::min(questions_.size(), unanswered_.size());
  if (unfinished > kMaxUnfinishedHard) {
    refuse("too many questions answered and never finished (at most 8192)");
  }
  if (unfinished <= kMaxUnfinished) {
    overUnfinishedSince_ = nullptr;
    return;
  }
  const kj::TimePoint now = timer_.now();
  KJ_IF_MAYBE(since, overUnfinishedSince_) {
    if (now - *since > kUnfinishedGrace) {
      refuse("too many questions answered and never finished (over 1024 for more than 2 s)");
    }
  } else {
    overUnfinishedSince_ = now;
  }
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
