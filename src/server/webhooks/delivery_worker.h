#pragma once
// The webhook delivery worker: its own thread and kj event loop, so that no receiver, however
// slow, delays commands, introspection or another subscription. The log is the outbox: every
// poll interval it looks at the live subscriptions (the webhooks view) and runs one loop per
// subscription that sends the account's events after the subscription's cursor, of the types it
// asked for, strictly in log order and one at a time; subscriptions run concurrently.
//
// Per message: the same webhook-id and body on every attempt (webhook_message.h); a 2xx advances
// the cursor; anything else is recorded and retried after the delay the retry schedule gives,
// until it gives up (24 h after the first attempt), which is recorded and the next message
// follows. Cursor and attempts are saved (synced) after every attempt, so a restart mid-retry
// resumes the same message. A subscription starts after the event that created it; a removed one
// stops before its next attempt. A subscription whose recorded key fingerprint is not this
// node's key is not delivered (its messages would be signed wrongly): logged once, and the
// deliveries route says so.
//
// Thread-safety: start() and stop() from one thread (main); everything else runs on the
// worker's thread.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include <kj/async-io.h>

#include "commands/engine.h"
#include "server/webhooks/delivery_state.h"
#include "server/webhooks/webhook_key.h"
#include "server/webhooks/webhook_message.h"
#include "webhooks/sender.h"

namespace pitlog::server::webhooks {

struct DeliveryWorkerOptions {
  // The retry schedule: the delay after `failedAttempts` failed attempts, the first of them
  // `sinceFirst` ago; nullopt: give up. The transport's schedule (src/webhooks), scaled in tests.
  std::function<std::optional<std::chrono::milliseconds>(uint32_t failedAttempts,
                                                         std::chrono::milliseconds sinceFirst)>
      retryDelay;
  // Makes the sender on the worker's loop (the transport's makeHttpSender; a test double).
  std::function<kj::Own<::pitlog::webhooks::Sender>(kj::AsyncIoProvider&)> makeSender;
  std::chrono::milliseconds poll{100};  // how soon a commit is noticed
  // Reminders: a current token's age for rotation.due, and how often the valid tokens are
  // looked at (a scan of the tokens family).
  int64_t rotationDueMs = 90LL * 24 * 3600 * 1000;
  std::chrono::milliseconds reminderScan{60'000};
};

class DeliveryWorker {
 public:
  DeliveryWorker(commands::Engine& engine, DeliveryStateStore& state, DeliveryLease& lease,
                 const WebhookKey& key, DeliveryWorkerOptions options);
  ~DeliveryWorker();  // stop()s
  DeliveryWorker(const DeliveryWorker&) = delete;
  DeliveryWorker& operator=(const DeliveryWorker&) = delete;

  void start();
  // Cancels in-flight attempts (their messages are sent again after a restart) and joins.
  void stop();

  // Attempts so far, by outcome (metrics).
  uint64_t delivered() const { return delivered_.load(); }
  uint64_t failed() const { return failed_.load(); }
  uint64_t gaveUp() const { return gaveUp_.load(); }

 private:
  struct Loop;
  void run();
  kj::Promise<void> scanLoop(Loop& loop);
  void fireDueReminders();
  kj::Promise<void> step(Loop& loop, SubscriptionId id, std::string secretEventId);
  kj::Promise<void> send(Loop& loop, SubscriptionId id, std::string secretEventId,
                         const projections::WebhookView& view, DeliveryCursor cursor,
                         OutgoingMessage message, int64_t now);
  kj::Promise<void> afterAttempt(Loop& loop, SubscriptionId id, std::string secretEventId,
                                 DeliveryCursor cursor, std::string type, std::string messageId,
                                 uint64_t seq, ::pitlog::webhooks::AttemptResult result);

  commands::Engine& engine_;
  DeliveryStateStore& state_;
  DeliveryLease& lease_;
  const WebhookKey& key_;
  const events::Digest fingerprint_;
  DeliveryWorkerOptions options_;

  std::thread thread_;
  std::mutex mu_;
  std::condition_variable ready_;
  const kj::Executor* executor_ = nullptr;  // GUARDED_BY(mu_): the worker's loop, once running
  kj::Own<kj::PromiseFulfiller<void>> stopRequested_;  // worker thread only
  bool started_ = false;
  std::set<std::string> running_;         // worker thread only: account 0x00 webhook id
  std::set<std::string> mismatchLogged_;  // worker thread only
  std::chrono::steady_clock::time_point lastReminderScan_{};  // worker thread only
  std::atomic<uint64_t> delivered_{0}, failed_{0}, gaveUp_{0};
};

}  // namespace pitlog::server::webhooks
