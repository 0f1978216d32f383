#include "server/webhooks/webhook_service.h"

#include <algorithm>
#include <filesystem>

#include "server/log.h"
#include "webhooks/http_sender.h"
#include "webhooks/retry_schedule.h"

namespace pitlog::server::webhooks {

std::chrono::milliseconds attemptTimeout(const Config& config) {
  return std::max(std::chrono::milliseconds(1000),
                  std::chrono::milliseconds(
                      static_cast<int64_t>(10000 * config.webhookRetryScaleForTests)));
}

std::unique_ptr<WebhookService> startWebhooks(const Config& config, commands::Engine& engine,
                                              SharedDeliveryState shared) {
  auto service = std::make_unique<WebhookService>();
  const std::string path = config.webhookKeyFile.value_or(
      (std::filesystem::path(config.dataDir) / "webhook.key").string());
  bool created = false;
  service->key = std::make_unique<WebhookKey>(WebhookKey::loadOrCreate(path, &created));
  // The path and the fingerprint's start (which subscriptions it can sign), never the key.
  log::info(
      created ? "webhook key created" : "webhook key loaded",
      {{"file", path}, {"fingerprint", events::toHex(service->key->fingerprint()).substr(0, 16)}});
  if (shared.lease && shared.state) {
    service->lease = std::move(shared.lease);
    service->state = std::move(shared.state);
  } else {
    service->lease = std::make_unique<SingleNodeLease>();
    service->state = std::make_unique<LocalDeliveryStateStore>(engine.operationalStore());
  }
  DeliveryWorkerOptions options;
  const double scale = config.webhookRetryScaleForTests;
  options.retryDelay =
      [scale, jitter = std::make_shared<::pitlog::webhooks::RetryJitter>()](
          uint32_t failed,
          std::chrono::milliseconds sinceFirst) -> std::optional<std::chrono::milliseconds> {
    auto d =
        ::pitlog::webhooks::retryAfter(static_cast<int>(failed), sinceFirst, jitter->draw(), scale);
    if (d.givenUp) return std::nullopt;
    return d.delay;
  };
  options.rotationDueMs = config.rotationDueMs;
  // The tokens are looked at once a minute; the test-only scale shortens that too (to 100 ms).
  options.reminderScan = std::max(std::chrono::milliseconds(100),
                                  std::chrono::milliseconds(static_cast<int64_t>(60'000 * scale)));
  ::pitlog::webhooks::SenderOptions sender;
  sender.allowPrivate = config.webhooksAllowPrivate;
  sender.timeout = attemptTimeout(config);
  options.makeSender = [sender](kj::AsyncIoProvider& io) {
    return ::pitlog::webhooks::makeHttpSender(io, sender);
  };
  service->worker = std::make_unique<DeliveryWorker>(engine, *service->state, *service->lease,
                                                     *service->key, std::move(options));
  service->worker->start();
  log::info("webhook delivery started",
            {{"allow_private", config.webhooksAllowPrivate ? "true" : "false"}});
  return service;
}

}  // namespace pitlog::server::webhooks
