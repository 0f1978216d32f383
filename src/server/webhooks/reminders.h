#pragma once
// The two reminders pitd derives from time (API.md "Token hygiene"): `rotation.due` when a
// current token turns `rotationDueMs` old (90 days by default, --rotation-due), and
// `rotation.window_ending` when a previous token expires within 24 hours (with a rotation window
// shorter than that, at once). Each fires once per token; the worker records that in the
// delivery state. Pure functions of a token entry and the clock.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/digest.h"
#include "projections/token_entry.h"
#include "projections/webhook_view.h"

namespace pitlog::server::webhooks {

inline constexpr int64_t kWindowEndingNoticeMs = 24LL * 3600 * 1000;

struct DueReminder {
  char kind = 'd';    // 'd': rotation.due, 'w': rotation.window_ending (the delivery state's key)
  std::string type;   // the API's type
  int64_t dueAt = 0;  // when it became due (the payload's timestamp)
};

// The reminder due for this token at `now`, if any (a token is current or previous, never both).
std::optional<DueReminder> reminderDue(const projections::TokenEntry& token, int64_t now,
                                       int64_t rotationDueMs);

// {"type", "timestamp" (dueAt), "data": {"accountId", "integrationId", "tokenId",
// "issuedAt" | "expiresAt"}}.
std::string reminderPayload(const DueReminder& r, const projections::TokenEntry& token,
                            const events::Digest& digest);

// webhook-id of a reminder for one subscription: stable for the token and the type.
std::string reminderMessageId(const projections::WebhookView& subscription, const DueReminder& r,
                              const events::Digest& digest);

}  // namespace pitlog::server::webhooks
