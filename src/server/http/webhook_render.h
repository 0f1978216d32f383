#pragma once
// The webhook routes' JSON (api.capnp's Webhook*, Delivery*), with a codec of their own.
// Threading: one per HTTP loop, like Renderer.
#include <optional>
#include <string>
#include <vector>

#include <capnp/compat/json.h>

#include "projections/webhook_view.h"
#include "server/webhooks/delivery_state.h"

namespace pitlog::server::http {

class WebhookRenderer {
 public:
  WebhookRenderer();
  // {"webhook": {...}, "secret": "whsec_…"} (secret only when given).
  std::string webhookReply(const projections::WebhookView& v,
                           const std::optional<std::string>& secret) const;
  std::string webhookList(const std::vector<projections::WebhookView>& views) const;
  std::string deliveries(const std::string& state, const std::string& message,
                         const std::vector<webhooks::DeliveryAttempt>& attempts) const;

 private:
  capnp::JsonCodec codec_;
};

}  // namespace pitlog::server::http
