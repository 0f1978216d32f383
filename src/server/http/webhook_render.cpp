#include "server/http/webhook_render.h"

#include <capnp/message.h>

#include "events/time_format.h"
#include "server/api.capnp.h"

namespace pitlog::server::http {

namespace {

capnp::Text::Reader text(const std::string& s) { return capnp::Text::Reader(s.data(), s.size()); }

void fill(api::Webhook::Builder out, const projections::WebhookView& v) {
  out.setId(text(v.webhookId));
  out.setAccountId(text(v.accountId));
  out.setUrl(text(v.url));
  auto events = out.initEvents(static_cast<capnp::uint>(v.events.size()));
  for (capnp::uint i = 0; i < events.size(); ++i) events.set(i, text(v.events[i]));
  out.setVersion(v.version);
  out.setCreatedAt(events::formatRfc3339(v.createdAt));
  out.setUpdatedAt(events::formatRfc3339(v.updatedAt));
}

template <typename Reader>
std::string encode(const capnp::JsonCodec& codec, Reader r) {
  kj::String s = codec.encode(r);
  return std::string(s.begin(), s.size());
}

}  // namespace

WebhookRenderer::WebhookRenderer() {
  codec_.handleByAnnotation<api::WebhookReply>();
  codec_.handleByAnnotation<api::WebhookList>();
  codec_.handleByAnnotation<api::DeliveryList>();
}

std::string WebhookRenderer::webhookReply(const projections::WebhookView& v,
                                          const std::optional<std::string>& secret) const {
  capnp::MallocMessageBuilder m;
  auto root = m.initRoot<api::WebhookReply>();
  fill(root.initWebhook(), v);
  if (secret) root.setSecret(text(*secret));
  return encode(codec_, root.asReader());
}

std::string WebhookRenderer::webhookList(const std::vector<projections::WebhookView>& views) const {
  capnp::MallocMessageBuilder m;
  auto root = m.initRoot<api::WebhookList>();
  auto list = root.initWebhooks(static_cast<capnp::uint>(views.size()));
  for (capnp::uint i = 0; i < list.size(); ++i) fill(list[i], views[i]);
  return encode(codec_, root.asReader());
}

std::string WebhookRenderer::deliveries(
    const std::string& state, const std::string& message,
    const std::vector<webhooks::DeliveryAttempt>& attempts) const {
  capnp::MallocMessageBuilder m;
  auto root = m.initRoot<api::DeliveryList>();
  root.setState(text(state));
  root.setMessage(text(message));
  auto list = root.initDeliveries(static_cast<capnp::uint>(attempts.size()));
  for (capnp::uint i = 0; i < list.size(); ++i) {
    const auto& a = attempts[i];
    auto d = list[i];
    d.setAt(events::formatRfc3339(a.at));
    d.setType(text(a.type));
    d.setWebhookId(text(a.messageId));
    d.setSeq(static_cast<uint32_t>(a.seq));
    if (a.status != 0) {
      d.initStatus().setNumber(a.status);
    } else {
      d.initStatus().setNull();
    }
    if (!a.error.empty()) {
      d.initError().setString(text(a.error));
    } else {
      d.initError().setNull();
    }
    if (a.nextRetryAt != 0) {
      d.initNextRetryAt().setString(events::formatRfc3339(a.nextRetryAt));
    } else {
      d.initNextRetryAt().setNull();
    }
    d.setGaveUp(a.gaveUp);
  }
  return encode(codec_, root.asReader());
}

}  // namespace pitlog::server::http
