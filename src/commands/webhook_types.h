#pragma once
// The webhook event types of API.md ("Token hygiene"), and which log event each comes from: the
// one list the validation of a subscription and the delivery worker share.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/event.h"

namespace pitlog::commands {

// integration.created, integration.updated, token.rotated, rotation.cancelled, token.expired,
// token.revoked, integration.deleted, and the two reminders pitd derives from time.
const std::vector<std::string>& webhookEventTypes();
bool isWebhookEventType(std::string_view type);

inline constexpr std::string_view kRotationDue = "rotation.due";
inline constexpr std::string_view kRotationWindowEnding = "rotation.window_ending";

// The webhook type a log event is delivered as; nullopt for events no webhook carries
// (permissions, the webhook subscriptions themselves). An Expired with reason `revoked` is
// token.revoked; every other Expired is token.expired.
std::optional<std::string_view> webhookTypeOf(const events::schema::Event::Reader& event);

}  // namespace pitlog::commands
