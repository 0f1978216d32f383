#include "server/webhooks/delivery_worker.h"

#include <openssl/crypto.h>

#include <cstring>

#include "events/keys.h"
#include "server/log.h"
#include "projections/token_entry.h"
#include "server/webhooks/reminders.h"
#include "server/webhooks/webhook_message.h"

namespace pitlog::server::webhooks {

namespace keys = events::keys;
using ::pitlog::webhooks::AttemptResult;
using ::pitlog::webhooks::WebhookMessage;

struct DeliveryWorker::Loop {
  kj::AsyncIoContext& io;
  kj::Own<::pitlog::webhooks::Sender> sender;
  kj::TaskSet& tasks;
  kj::Promise<void> sleep(std::chrono::milliseconds d) {
    return io.provider->getTimer().afterDelay(std::max<int64_t>(d.count(), 1) * kj::MILLISECONDS);
  }
};

namespace {

std::string runningKey(const SubscriptionId& id) {
  return keys::webhookKey(id.account, id.webhookId);
}

class LogErrors : public kj::TaskSet::ErrorHandler {
 public:
  void taskFailed(kj::Exception&& e) override {
    log::error("webhook delivery task failed", {{"error", e.getDescription().cStr()}});
  }
};

struct InFlight {
  WebhookMessage message;
  std::array<unsigned char, 32> secret{};
  ~InFlight() { OPENSSL_cleanse(secret.data(), secret.size()); }
};

// Never a secret or a body: the transport's words, or the status.
std::string describe(const AttemptResult& r) {
  return r.status != 0 ? "status " + std::to_string(r.status) : r.error;
}

}  // namespace

DeliveryWorker::DeliveryWorker(commands::Engine& engine, DeliveryStateStore& state,
                               DeliveryLease& lease, const WebhookKey& key,
                               DeliveryWorkerOptions options)
    : engine_(engine),
      state_(state),
      lease_(lease),
      key_(key),
      fingerprint_(key.fingerprint()),
      options_(std::move(options)) {}

DeliveryWorker::~DeliveryWorker() { stop(); }

void DeliveryWorker::start() {
  thread_ = std::thread([this] { run(); });
  std::unique_lock<std::mutex> lock(mu_);
  ready_.wait(lock, [this] { return started_; });
}

void DeliveryWorker::stop() {
  const kj::Executor* executor = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    executor = executor_;
    executor_ = nullptr;
  }
  if (executor) executor->executeSync([this] { stopRequested_->fulfill(); });
  if (thread_.joinable()) thread_.join();
}

void DeliveryWorker::run() {
  KJ_IF_MAYBE (e, kj::runCatchingExceptions([&] {
                 auto io = kj::setupAsyncIo();
                 LogErrors errors;
                 kj::TaskSet tasks(errors);
                 Loop loop{io, options_.makeSender(*io.provider), tasks};
                 auto stopped = kj::newPromiseAndFulfiller<void>();
                 stopRequested_ = kj::mv(stopped.fulfiller);
                 {
                   std::lock_guard<std::mutex> lock(mu_);
                   executor_ = &kj::getCurrentThreadExecutor();
                   started_ = true;
                 }
                 ready_.notify_all();
                 stopped.promise.exclusiveJoin(scanLoop(loop)).wait(io.waitScope);
                 stopRequested_ = nullptr;
               })) {
    log::error("the webhook delivery worker stopped", {{"error", e->getDescription().cStr()}});
    std::lock_guard<std::mutex> lock(mu_);
    started_ = true;
    executor_ = nullptr;
    ready_.notify_all();
  }
}

void DeliveryWorker::fireDueReminders() {
  const int64_t now = engine_.now();
  engine_.store().scanPrefix(keys::Family::tokens, {},
                             [&](std::string_view key, std::string_view value) {
                               auto entry = projections::decodeTokenEntry(value);
                               if (!entry || key.size() != 32) return true;
                               auto due = reminderDue(*entry, now, options_.rotationDueMs);
                               if (!due) return true;
                               events::Digest digest{};
                               std::memcpy(digest.data(), key.data(), digest.size());
                               if (state_.reminderFired(due->kind, digest)) return true;
                               std::vector<std::pair<SubscriptionId, QueuedReminder>> queued;
                               for (const auto& s : engine_.webhooks(entry->accountId)) {
                                 if (!wants(s, due->type) || s.keyFingerprint != fingerprint_)
                                   continue;
                                 queued.push_back({{s.accountId, s.webhookId},
                                                   {due->type, reminderMessageId(s, *due, digest),
                                                    reminderPayload(*due, *entry, digest)}});
                               }
                               state_.fireReminder(due->kind, digest, now, queued);
                               return true;
                             });
}

kj::Promise<void> DeliveryWorker::scanLoop(Loop& loop) {
  if (std::chrono::steady_clock::now() - lastReminderScan_ >= options_.reminderScan) {
    lastReminderScan_ = std::chrono::steady_clock::now();
    KJ_IF_MAYBE (e, kj::runCatchingExceptions([&] { fireDueReminders(); })) {
      log::error("webhook reminders not derived; retried at the next scan",
                 {{"error", e->getDescription().cStr()}});
    }
  }
  engine_.store().scanPrefix(
      keys::Family::webhooks, {}, [&](std::string_view, std::string_view value) {
        auto view = projections::decodeWebhookView(value);
        if (!view) return true;
        SubscriptionId id{view->accountId, view->webhookId};
        const std::string key = runningKey(id);
        if (running_.count(key)) return true;
        // A node whose key cannot sign a subscription never takes its lease (the step logs why),
        // so that a cluster node started with another --webhook-key does not hold up the others.
        if (view->keyFingerprint == fingerprint_ && !lease_.mayDeliver(id)) return true;
        running_.insert(key);
        loop.tasks.add(kj::evalNow([&] { return step(loop, id, view->secretEventId); })
                           .catch_([this, id](kj::Exception&& e) {
                             log::error("webhook delivery failed; it resumes at the next poll",
                                        {{"account", id.account},
                                         {"webhook", id.webhookId},
                                         {"error", e.getDescription().cStr()}});
                           })
                           .then([this, key] { running_.erase(key); }));
        return true;
      });
  return loop.sleep(options_.poll).then([this, &loop] { return scanLoop(loop); });
}

kj::Promise<void> DeliveryWorker::step(Loop& loop, SubscriptionId id, std::string secretEventId) {
  auto view = engine_.webhook(id.account, id.webhookId);
  // Removed (or removed and created again: the scan starts the new one afresh).
  if (!view || view->secretEventId != secretEventId) return kj::READY_NOW;
  auto again = [this, &loop, id, secretEventId](std::chrono::milliseconds after) {
    return loop.sleep(after).then(
        [this, &loop, id, secretEventId] { return step(loop, id, secretEventId); });
  };
  if (view->keyFingerprint != fingerprint_) {
    if (mismatchLogged_.insert(runningKey(id)).second) {
      log::error(
          "webhook not delivered: it was subscribed under another webhook key than this "
          "node's (--webhook-key); its messages would be signed wrongly",
          {{"account", id.account}, {"webhook", id.webhookId}});
    }
    return again(options_.poll * 10);
  }
  // In a cluster the lease may have moved to another node: the scan asks again at its next poll.
  if (!lease_.mayDeliver(id)) return kj::READY_NOW;
  DeliveryCursor cursor;
  if (auto stored = state_.cursor(id); stored && stored->secretEventId == view->secretEventId) {
    cursor = *stored;
  } else {
    cursor.secretEventId = view->secretEventId;
    cursor.deliveredSeq = view->createdSeq;  // starts after the event that created it
    cursor.attemptsRecorded = stored ? stored->attemptsRecorded : 0;
    cursor.reminderNext = state_.remindersQueued(id);  // an earlier subscription's are not its
    state_.save(id, cursor, nullptr);  // so that reminders queued from now on are its own
  }
  const int64_t now = engine_.now();
  if (cursor.nextAttemptAt > now) {
    return again(
        std::min(std::chrono::milliseconds(cursor.nextAttemptAt - now), options_.poll * 10));
  }
  // A reminder queued for it goes first, unless a log message is already being retried.
  if (cursor.pendingSeq == 0) {
    if (auto reminder = state_.queuedReminder(id, cursor.reminderNext)) {
      if (cursor.attempts == 0) cursor.firstAttemptAt = now;
      return send(loop, id, secretEventId, *view, cursor,
                  OutgoingMessage{0, reminder->type, reminder->messageId, reminder->body}, now);
    }
  }
  auto next = nextMessage(engine_.store(), *view, cursor.deliveredSeq, engine_.lastSeq());
  if (!next.message) {
    if (next.scannedTo != cursor.deliveredSeq) {
      cursor.deliveredSeq = next.scannedTo;
      state_.save(id, cursor, nullptr);
    }
    return again(options_.poll);
  }
  auto& m = *next.message;
  cursor.deliveredSeq = next.scannedTo;  // the events before it that it does not want
  if (cursor.pendingSeq != m.seq) {
    cursor.pendingSeq = m.seq;
    cursor.attempts = 0;
    cursor.firstAttemptAt = now;
  }
  return send(loop, id, secretEventId, *view, cursor, kj::mv(m), now);
}

kj::Promise<void> DeliveryWorker::send(Loop& loop, SubscriptionId id, std::string secretEventId,
                                       const projections::WebhookView& view, DeliveryCursor cursor,
                                       OutgoingMessage m, int64_t now) {
  // The message and the secret live until the attempt ends; the secret is wiped then.
  auto attempt = kj::heap<InFlight>();
  attempt->secret = key_.secretFor(id.account, id.webhookId, view.secretEventId);
  attempt->message = WebhookMessage{view.url, m.id, now / 1000, m.body};
  auto sent =
      loop.sender
          ->send(attempt->message, kj::arrayPtr(attempt->secret.data(), attempt->secret.size()))
          .attach(kj::mv(attempt));
  return sent.then([this, &loop, id, secretEventId, cursor, type = m.type, messageId = m.id,
                    seq = m.seq](AttemptResult r) mutable {
    return afterAttempt(loop, id, secretEventId, cursor, type, messageId, seq, kj::mv(r));
  });
}

kj::Promise<void> DeliveryWorker::afterAttempt(Loop& loop, SubscriptionId id,
                                               std::string secretEventId, DeliveryCursor cursor,
                                               std::string type, std::string messageId,
                                               uint64_t seq, AttemptResult result) {
  const int64_t now = engine_.now();
  DeliveryAttempt attempt{now, type, messageId, seq, result.status, result.error, 0, false};
  cursor.attempts++;
  cursor.attemptsRecorded++;
  // Done with this message (delivered or given up): the cursor moves past it.
  auto moveOn = [&] {
    if (seq == 0) {
      cursor.reminderNext++;
    } else {
      cursor.deliveredSeq = seq;
    }
    cursor.pendingSeq = 0;
    cursor.attempts = 0;
    cursor.nextAttemptAt = 0;
  };
  if (result.delivered()) {
    delivered_++;
    moveOn();
  } else {
    failed_++;
    auto delay = options_.retryDelay(cursor.attempts,
                                     std::chrono::milliseconds(now - cursor.firstAttemptAt));
    if (delay) {
      cursor.nextAttemptAt = now + delay->count();
      attempt.nextRetryAt = cursor.nextAttemptAt;
    } else {
      gaveUp_++;
      attempt.gaveUp = true;
      log::warn("webhook message given up after its retries", {{"account", id.account},
                                                               {"webhook", id.webhookId},
                                                               {"webhook_id", messageId},
                                                               {"last", describe(result)}});
      moveOn();
    }
  }
  // A subscription removed while its attempt was in flight records nothing more.
  auto view = engine_.webhook(id.account, id.webhookId);
  if (!view || view->secretEventId != secretEventId) return kj::READY_NOW;
  state_.save(id, cursor, &attempt);
  return step(loop, id, secretEventId);
}

}  // namespace pitlog::server::webhooks
