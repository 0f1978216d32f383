#include "server/webhooks/reminders.h"

#include "commands/webhook_types.h"
#include "events/time_format.h"
#include "server/webhooks/webhook_message.h"

namespace pitlog::server::webhooks {

using projections::TokenState;

std::optional<DueReminder> reminderDue(const projections::TokenEntry& t, int64_t now,
                                       int64_t rotationDueMs) {
  if (t.state == TokenState::current) {
    const int64_t due = t.issuedAt + rotationDueMs;
    if (now >= due) return DueReminder{'d', std::string(commands::kRotationDue), due};
    return std::nullopt;
  }
  if (!t.expiresAt || now >= *t.expiresAt) return std::nullopt;  // over: nothing to warn of
  const int64_t notice = *t.expiresAt - kWindowEndingNoticeMs;
  if (now >= notice) {
    // A window shorter than the notice period fires at once: its rotation started it.
    return DueReminder{'w', std::string(commands::kRotationWindowEnding),
                       std::max(notice, t.issuedAt)};
  }
  return std::nullopt;
}

std::string reminderPayload(const DueReminder& r, const projections::TokenEntry& t,
                            const events::Digest& digest) {
  std::string data = "{\"accountId\":\"" + t.accountId + "\",\"integrationId\":\"" +
                     t.integrationId + "\",\"tokenId\":\"" + events::tokenIdOf(digest) + "\"";
  if (r.kind == 'd') {
    data += ",\"issuedAt\":\"" + events::formatRfc3339(t.issuedAt) + "\"";
  } else {
    data += ",\"expiresAt\":\"" + events::formatRfc3339(*t.expiresAt) + "\"";
  }
  data += "}";
  return "{\"type\":\"" + r.type + "\",\"timestamp\":\"" + events::formatRfc3339(r.dueAt) +
         "\",\"data\":" + data + "}";
}

std::string reminderMessageId(const projections::WebhookView& s, const DueReminder& r,
                              const events::Digest& digest) {
  return messageIdFor(s, std::string("reminder ") + r.kind + events::toHex(digest));
}

}  // namespace pitlog::server::webhooks
