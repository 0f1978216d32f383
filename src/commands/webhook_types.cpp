#include "commands/webhook_types.h"

#include <algorithm>

namespace pitlog::commands {

using events::schema::Event;

const std::vector<std::string>& webhookEventTypes() {
  static const std::vector<std::string> kTypes = {
      "integration.created", "integration.updated",     "token.rotated",
      "rotation.cancelled",  "token.expired",           "token.revoked",
      "integration.deleted", std::string(kRotationDue), std::string(kRotationWindowEnding)};
  return kTypes;
}

bool isWebhookEventType(std::string_view type) {
  const auto& all = webhookEventTypes();
  return std::find(all.begin(), all.end(), type) != all.end();
}

std::optional<std::string_view> webhookTypeOf(const Event::Reader& event) {
  auto body = event.getBody();
  switch (body.which()) {
    case Event::Body::CREATED:
      return "integration.created";
    case Event::Body::SCOPES_UPDATED:
      return "integration.updated";
    case Event::Body::ROTATION_STARTED:
      return "token.rotated";
    case Event::Body::ROTATION_CANCELLED:
      return "rotation.cancelled";
    case Event::Body::EXPIRED:
      return body.getExpired().getReason() == events::schema::Expired::Reason::REVOKED
                 ? "token.revoked"
                 : "token.expired";
    case Event::Body::DELETED:
      return "integration.deleted";
    case Event::Body::PERMISSION_CHANGED:
    case Event::Body::WEBHOOK_SUBSCRIBED:
    case Event::Body::WEBHOOK_REMOVED:
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace pitlog::commands
