#pragma once
// The webhooks view: an account's live webhook subscriptions, projected from WebhookSubscribed
// (create or replace) and WebhookRemoved (delete), in the webhooks family keyed by
// keys::webhookKey(account, webhook id). Pure functions; the projection step (projector.cpp)
// calls applyWebhook(), so the live path and every replay fold it the same way.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/event.h"

namespace pitlog::projections {

struct WebhookView {
  std::string webhookId;
  std::string accountId;
  std::string url;
  std::vector<std::string> events;  // the API's webhook event types, sorted
  std::string secretEventId;        // 16 bytes
  events::Digest keyFingerprint{};
  events::UnixMillis createdAt = 0;
  uint64_t createdSeq = 0;
  events::UnixMillis updatedAt = 0;
  uint32_t version = 0;
  bool operator==(const WebhookView&) const = default;
};

// The view after a WebhookSubscribed event, given the view before it (nullopt: none).
WebhookView applyWebhookSubscribed(const std::optional<WebhookView>& before,
                                   const events::schema::Event::Reader& event);

std::string encodeWebhookView(const WebhookView& view);
std::optional<WebhookView> decodeWebhookView(std::string_view bytes);

}  // namespace pitlog::projections
