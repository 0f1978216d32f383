#include "events/event_json.h"

#include <capnp/compat/json.h>
#include <capnp/message.h>
#include <kj/debug.h>

#include <limits>

#include "events/event_json.capnp.h"

namespace pitlog::events {
namespace {

namespace json = ::pitlog::schema::json;
using schema::Event;

// Built once (handleByAnnotation walks the whole schema); encode() is const and keeps no state,
// so one codec serves every thread.
const capnp::JsonCodec& codec() {
  static const capnp::JsonCodec* instance = [] {
    auto* c = new capnp::JsonCodec();  // never destroyed: usable during static destruction too
    c->handleByAnnotation<json::EventJson>();
    return c;
  }();
  return *instance;
}

capnp::Data::Reader bytesOf(const Digest& d) { return {d.data(), d.size()}; }

std::string tokenIdField(capnp::Data::Reader digest) { return tokenIdOf(digestField(digest)); }

json::ActorJson::Role roleOf(schema::Actor::Role r) {
  switch (r) {
    case schema::Actor::Role::ADMIN: return json::ActorJson::Role::ADMIN;
    case schema::Actor::Role::USER: return json::ActorJson::Role::USER;
    case schema::Actor::Role::SYSTEM: return json::ActorJson::Role::SYSTEM;
  }
  return json::ActorJson::Role::USER;
}

json::ExpiredData::Reason reasonOf(schema::Expired::Reason r) {
  switch (r) {
    case schema::Expired::Reason::MANUAL: return json::ExpiredData::Reason::MANUAL;
    case schema::Expired::Reason::WINDOW_ELAPSED: return json::ExpiredData::Reason::WINDOW_ELAPSED;
    case schema::Expired::Reason::ROTATED_NOW: return json::ExpiredData::Reason::ROTATED_NOW;
    case schema::Expired::Reason::REVOKED: return json::ExpiredData::Reason::REVOKED;
  }
  return json::ExpiredData::Reason::MANUAL;
}

template <typename Builder>
void copyScopes(Builder out, capnp::List<capnp::Text>::Reader scopes) {
  auto list = out.initScopes(scopes.size());
  for (unsigned i = 0; i < scopes.size(); ++i) list.set(i, scopes[i]);
}

void fillData(json::EventJson::Body::Builder out, Event::Body::Reader in) {
  switch (in.which()) {
    case Event::Body::CREATED: {
      auto c = in.getCreated();
      auto d = out.initCreated();
      d.setName(c.getName());
      d.setDescription(c.getDescription());
      copyScopes(d, c.getScopes());
      d.setTokenId(tokenIdField(c.getToken()));
      d.setTokenHint(c.getTokenHint());
      return;
    }
    case Event::Body::SCOPES_UPDATED: {
      auto s = in.getScopesUpdated();
      auto d = out.initScopesUpdated();
      d.setName(s.getName());
      d.setDescription(s.getDescription());
      copyScopes(d, s.getScopes());
      return;
    }
    case Event::Body::ROTATION_STARTED: {
      auto r = in.getRotationStarted();
      auto d = out.initRotationStarted();
      d.setTokenId(tokenIdField(r.getToken()));
      d.setPreviousTokenId(tokenIdField(r.getPreviousToken()));
      d.setPreviousExpiresAt(formatRfc3339(r.getPreviousExpiresAt()));
      d.setExpireNow(r.getExpireNow());
      d.setTokenHint(r.getTokenHint());
      return;
    }
    case Event::Body::ROTATION_CANCELLED: {
      auto r = in.getRotationCancelled();
      auto d = out.initRotationCancelled();
      d.setCancelledTokenId(tokenIdField(r.getCancelledToken()));
      d.setRestoredTokenId(tokenIdField(r.getRestoredToken()));
      return;
    }
    case Event::Body::EXPIRED: {
      auto x = in.getExpired();
      auto d = out.initExpired();
      d.setTokenId(tokenIdField(x.getToken()));
      d.setReason(reasonOf(x.getReason()));
      if (x.hasSource()) d.setSource(x.getSource());
      return;
    }
    case Event::Body::DELETED:
      out.initDeleted();
      return;
    case Event::Body::PERMISSION_CHANGED: {
      auto p = in.getPermissionChanged();
      auto d = out.initPermissionChanged();
      d.setUserId(p.getUserId());
      d.setAllowed(p.getAllowed());
      return;
    }
    case Event::Body::WEBHOOK_SUBSCRIBED: {
      auto w = in.getWebhookSubscribed();
      auto d = out.initWebhookSubscribed();
      d.setWebhookId(w.getWebhookId());
      d.setUrl(w.getUrl());
      d.setEvents(w.getEvents());
      if (w.getSecretEventId().size() != 0) d.setSecretEventId(w.getSecretEventId());
      d.setKeyFingerprint(w.getKeyFingerprint());
      return;
    }
    case Event::Body::WEBHOOK_REMOVED:
      out.initWebhookRemoved().setWebhookId(in.getWebhookRemoved().getWebhookId());
      return;
  }
  // DecodedEvent::decode() rejects unknown union members, so this is our own bug.
  KJ_FAIL_ASSERT("event type unknown to eventToJson", static_cast<unsigned>(in.which()));
}

}  // namespace

std::string eventToJson(const DecodedEvent& event) {
  auto e = event.reader();
  // decode() refused sequences beyond keys::kMaxSeq, so seq fits the JSON shape's UInt32.

  capnp::MallocMessageBuilder message(512);
  auto out = message.initRoot<json::EventJson>();
  out.setSeq(static_cast<uint32_t>(e.getSeq()));
  out.setStreamId(e.getStreamId());
  out.setStreamVersion(e.getStreamVersion());
  out.setEventId(e.getEventId());
  out.setAt(formatRfc3339(e.getAt()));

  auto actorIn = e.getActor();
  auto actor = out.initActor();
  if (actorIn.getRole() != schema::Actor::Role::SYSTEM) actor.setAccountId(actorIn.getAccountId());
  actor.setUserId(actorIn.getUserId());
  actor.setRole(roleOf(actorIn.getRole()));

  out.setRequestId(e.getRequestId());
  fillData(out.initBody(), e.getBody());
  out.setPrevHash(e.getPrevHash());
  out.setHash(bytesOf(event.hash()));

  auto text = codec().encode(out.asReader());
  return std::string(text.cStr(), text.size());
}

}  // namespace pitlog::events
