#pragma once
// What the delivery worker sends: the next message of a subscription (the log is the outbox: the
// account's events after the subscription's cursor, in log order, of the types it asked for),
// its Standard Webhooks id and its JSON payload. Pure functions of the log and the view, so a
// retry after a restart rebuilds the same message byte for byte, with the same webhook-id.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "events/event.h"
#include "events/store.h"
#include "projections/webhook_view.h"

namespace pitlog::server::webhooks {

struct OutgoingMessage {
  uint64_t seq = 0;  // the log event it carries
  std::string type;  // integration.created, token.rotated, ...
  std::string id;    // webhook-id
  std::string body;  // the JSON payload, signed byte for byte
};

// webhook-id: "msg_" + 32 hex digits of SHA-256 over the subscription (account, webhook id, the
// creating event's id) and the event's id: stable across retries and restarts, different for
// each subscription the same event goes to.
std::string messageIdFor(const projections::WebhookView& subscription, std::string_view eventId);

// {"type", "timestamp" (the event's time), "data": {"accountId", "integrationId", "seq",
// "tokenId"?, ...}}: tokens by tokenId only, never more.
std::string payloadFor(const events::schema::Event::Reader& event, std::string_view type);

bool wants(const projections::WebhookView& subscription, std::string_view type);

// The first event of the subscription's account with seq in (after, upTo] whose type it wants,
// and how far the scan got (upTo when nothing was found: the cursor may skip there).
struct NextMessage {
  std::optional<OutgoingMessage> message;
  uint64_t scannedTo = 0;
};
NextMessage nextMessage(const events::Store& store, const projections::WebhookView& subscription,
                        uint64_t after, uint64_t upTo);

}  // namespace pitlog::server::webhooks
