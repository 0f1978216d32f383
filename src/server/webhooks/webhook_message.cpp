#include "server/webhooks/webhook_message.h"

#include <algorithm>

#include "commands/webhook_types.h"
#include "events/digest.h"
#include "events/keys.h"
#include "events/time_format.h"

namespace pitlog::server::webhooks {

namespace keys = events::keys;
using events::dataView;
using events::digestField;
using events::schema::Event;

namespace {

// Ids (account, integration) match [A-Za-z0-9._:-] and token ids are hex: nothing to escape.
void field(std::string& out, std::string_view name, std::string_view value) {
  out += ",\"";
  out += name;
  out += "\":\"";
  out += value;
  out += '"';
}

std::string tokenId(capnp::Data::Reader digest) { return events::tokenIdOf(digestField(digest)); }

const char* reasonName(events::schema::Expired::Reason r) {
  switch (r) {
    case events::schema::Expired::Reason::MANUAL:
      return "manual";
    case events::schema::Expired::Reason::WINDOW_ELAPSED:
      return "window_elapsed";
    case events::schema::Expired::Reason::ROTATED_NOW:
      return "rotated_now";
    case events::schema::Expired::Reason::REVOKED:
      return "revoked";
  }
  return "manual";
}

}  // namespace

std::string messageIdFor(const projections::WebhookView& s, std::string_view eventId) {
  std::string data = "pitlog webhook message v1";
  for (std::string_view part : {std::string_view(s.accountId), std::string_view(s.webhookId),
                                std::string_view(s.secretEventId), eventId}) {
    data += std::to_string(part.size());
    data += ':';
    data += part;
  }
  return "msg_" + events::toHex(events::sha256(data)).substr(0, 32);
}

std::string payloadFor(const Event::Reader& e, std::string_view type) {
  std::string data = "{\"accountId\":\"";
  data += events::textView(e.getAccountId());
  data += '"';
  field(data, "integrationId", events::textView(e.getStreamId()));
  auto body = e.getBody();
  switch (body.which()) {
    case Event::Body::CREATED:
      field(data, "tokenId", tokenId(body.getCreated().getToken()));
      break;
    case Event::Body::ROTATION_STARTED: {
      auto r = body.getRotationStarted();
      field(data, "tokenId", tokenId(r.getToken()));
      if (digestField(r.getPreviousToken()) != events::Digest{}) {
        field(data, "previousTokenId", tokenId(r.getPreviousToken()));
        field(data, "previousExpiresAt", events::formatRfc3339(r.getPreviousExpiresAt()));
      }
      break;
    }
    case Event::Body::ROTATION_CANCELLED: {
      auto r = body.getRotationCancelled();
      field(data, "tokenId", tokenId(r.getRestoredToken()));
      if (digestField(r.getCancelledToken()) != events::Digest{}) {
        field(data, "cancelledTokenId", tokenId(r.getCancelledToken()));
      }
      break;
    }
    case Event::Body::EXPIRED:
      field(data, "tokenId", tokenId(body.getExpired().getToken()));
      field(data, "reason", reasonName(body.getExpired().getReason()));
      break;
    default:
      break;
  }
  data += ",\"seq\":" + std::to_string(e.getSeq()) + "}";
  return "{\"type\":\"" + std::string(type) + "\",\"timestamp\":\"" +
         events::formatRfc3339(e.getAt()) + "\",\"data\":" + data + "}";
}

bool wants(const projections::WebhookView& s, std::string_view type) {
  return std::find(s.events.begin(), s.events.end(), type) != s.events.end();
}

NextMessage nextMessage(const events::Store& store, const projections::WebhookView& s,
                        uint64_t after, uint64_t upTo) {
  NextMessage out;
  out.scannedTo = std::max(after, upTo);
  if (upTo <= after) return out;
  store.scanRange(
      keys::Family::auditByAccount, keys::auditKey(s.accountId, after + 1),
      keys::auditKey(s.accountId, upTo + 1), [&](std::string_view key, std::string_view) {
        auto seq = keys::readFixed64(keys::afterAccountPrefix(key));
        if (!seq) return true;
        auto bytes = store.get(keys::Family::events, keys::eventKey(*seq));
        if (!bytes) return true;
        std::string error;
        auto event = events::DecodedEvent::decode(*bytes, &error);
        if (!event) return true;
        auto type = commands::webhookTypeOf(event->reader());
        if (!type || !wants(s, *type)) return true;
        out.message = OutgoingMessage{*seq, std::string(*type),
                                      messageIdFor(s, dataView(event->reader().getEventId())),
                                      payloadFor(event->reader(), *type)};
        out.scannedTo = *seq - 1;
        return false;
      });
  return out;
}

}  // namespace pitlog::server::webhooks
