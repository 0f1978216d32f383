#pragma once
// pitd's webhook pieces, built once at start: the master key (--webhook-key, or
// <data>/webhook.key created with mode 0600), the delivery state and lease, and the delivery
// worker. On a single node the state is in the node's own database and the lease always held; in
// cluster mode main passes the shared ones (kv_delivery_state.h), so that exactly one node
// delivers each subscription and every node's deliveries route shows the same attempts.
#include <chrono>
#include <memory>
#include <string>

#include "commands/engine.h"
#include "server/config.h"
#include "server/webhooks/delivery_state.h"
#include "server/webhooks/delivery_worker.h"
#include "server/webhooks/webhook_key.h"

namespace pitlog::server::webhooks {

struct WebhookService {
  std::unique_ptr<WebhookKey> key;
  std::unique_ptr<DeliveryLease> lease;
  std::unique_ptr<DeliveryStateStore> state;  // uses the lease (cluster mode): declared after it
  std::unique_ptr<DeliveryWorker> worker;
  std::string notDelivering;  // why no worker runs, for the deliveries route ("" when one runs)
};

// Where delivery state and leases live: empty for a single node's (its database, always held).
struct SharedDeliveryState {
  std::unique_ptr<DeliveryLease> lease;
  std::unique_ptr<DeliveryStateStore> state;
};

// One attempt's timeout: 10 s, shortened by the test-only retry scale, never below 1 s. In cluster
// mode the delivery lease is as long (a lease renewed every third of it, a takeover after it).
std::chrono::milliseconds attemptTimeout(const Config& config);

// Throws std::runtime_error naming the key file when it cannot be read or created.
std::unique_ptr<WebhookService> startWebhooks(const Config& config, commands::Engine& engine,
                                              SharedDeliveryState shared = {});

}  // namespace pitlog::server::webhooks
