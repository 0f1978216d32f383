#include "projections/webhook_view.h"

#include "events/event.h"
#include "projections/views.capnp.h"

namespace pitlog::projections {

using events::dataView;
using events::textView;

WebhookView applyWebhookSubscribed(const std::optional<WebhookView>& before,
                                   const events::schema::Event::Reader& event) {
  auto w = event.getBody().getWebhookSubscribed();
  WebhookView v;
  if (before) v = *before;
  v.webhookId = textView(w.getWebhookId());
  v.accountId = textView(event.getAccountId());
  v.url = textView(w.getUrl());
  v.events.clear();
  for (auto t : w.getEvents()) v.events.emplace_back(textView(t));
  // A replace keeps the creation's secret and cursor; a create starts both at this event.
  if (!before) {
    v.secretEventId = w.getSecretEventId().size() == 16
                          ? std::string(dataView(w.getSecretEventId()))
                          : std::string(dataView(event.getEventId()));
    v.createdAt = event.getAt();
    v.createdSeq = event.getSeq();
  }
  v.keyFingerprint = events::digestField(w.getKeyFingerprint());
  v.updatedAt = event.getAt();
  v.version = event.getStreamVersion();
  return v;
}

std::string encodeWebhookView(const WebhookView& v) {
  return events::encodeStoredValue<views::WebhookView>([&](views::WebhookView::Builder b) {
    b.setWebhookId(v.webhookId);
    b.setAccountId(v.accountId);
    b.setUrl(v.url);
    auto list = b.initEvents(static_cast<unsigned>(v.events.size()));
    for (unsigned i = 0; i < v.events.size(); ++i) list.set(i, v.events[i]);
    b.setSecretEventId(events::dataReader(v.secretEventId));
    b.setKeyFingerprint(capnp::Data::Reader(v.keyFingerprint.data(), v.keyFingerprint.size()));
    b.setCreatedAt(v.createdAt);
    b.setCreatedSeq(v.createdSeq);
    b.setUpdatedAt(v.updatedAt);
    b.setVersion(v.version);
  });
}

std::optional<WebhookView> decodeWebhookView(std::string_view bytes) {
  return events::readStoredValue<views::WebhookView>(bytes, [](views::WebhookView::Reader r) {
    WebhookView v;
    v.webhookId = textView(r.getWebhookId());
    v.accountId = textView(r.getAccountId());
    v.url = textView(r.getUrl());
    for (auto t : r.getEvents()) v.events.emplace_back(textView(t));
    v.secretEventId = dataView(r.getSecretEventId());
    v.keyFingerprint = events::digestField(r.getKeyFingerprint());
    v.createdAt = r.getCreatedAt();
    v.createdSeq = r.getCreatedSeq();
    v.updatedAt = r.getUpdatedAt();
    v.version = r.getVersion();
    return v;
  });
}

}  // namespace pitlog::projections
