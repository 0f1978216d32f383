#include "events/event.h"

#include "events/keys.h"

#include <capnp/message.h>
#include <kj/exception.h>

#include <cstring>

namespace pitlog::events {

using schema::Event;

const char* roleName(Role r) {
  switch (r) {
    case Role::admin: return "admin";
    case Role::user: return "user";
    case Role::system: return "system";
  }
  return "user";
}

const char* expiryReasonName(ExpiryReason r) {
  switch (r) {
    case ExpiryReason::manual: return "manual";
    case ExpiryReason::windowElapsed: return "window_elapsed";
    case ExpiryReason::rotatedNow: return "rotated_now";
    case ExpiryReason::revoked: return "revoked";
  }
  return "manual";
}

namespace {
struct TypeName {
  Event::Body::Which which;
  const char* name;
};
constexpr TypeName kTypeNames[] = {
    {Event::Body::CREATED, "Created"},
    {Event::Body::SCOPES_UPDATED, "ScopesUpdated"},
    {Event::Body::ROTATION_STARTED, "RotationStarted"},
    {Event::Body::ROTATION_CANCELLED, "RotationCancelled"},
    {Event::Body::EXPIRED, "Expired"},
    {Event::Body::DELETED, "Deleted"},
    {Event::Body::PERMISSION_CHANGED, "PermissionChanged"},
    {Event::Body::WEBHOOK_SUBSCRIBED, "WebhookSubscribed"},
    {Event::Body::WEBHOOK_REMOVED, "WebhookRemoved"},
};

capnp::Data::Reader dataOf(const Digest& d) { return {d.data(), d.size()}; }


template <typename Builder>
void fillScopes(Builder b, const std::vector<std::string>& scopes) {
  auto list = b.initScopes(static_cast<unsigned>(scopes.size()));
  for (unsigned i = 0; i < scopes.size(); ++i) list.set(i, scopes[i]);
}

schema::Actor::Role toSchema(Role r) {
  switch (r) {
    case Role::admin: return schema::Actor::Role::ADMIN;
    case Role::user: return schema::Actor::Role::USER;
    case Role::system: return schema::Actor::Role::SYSTEM;
  }
  return schema::Actor::Role::USER;
}

schema::Expired::Reason toSchema(ExpiryReason r) {
  switch (r) {
    case ExpiryReason::manual: return schema::Expired::Reason::MANUAL;
    case ExpiryReason::windowElapsed: return schema::Expired::Reason::WINDOW_ELAPSED;
    case ExpiryReason::rotatedNow: return schema::Expired::Reason::ROTATED_NOW;
    case ExpiryReason::revoked: return schema::Expired::Reason::REVOKED;
  }
  return schema::Expired::Reason::MANUAL;
}

struct BodyWriter {
  Event::Body::Builder b;
  void operator()(const body::Created& e) {
    auto c = b.initCreated();
    c.setName(e.name);
    c.setDescription(e.description);
    fillScopes(c, e.scopes);
    c.setToken(dataOf(e.token));
    c.setTokenHint(e.tokenHint);
  }
  void operator()(const body::ScopesUpdated& e) {
    auto s = b.initScopesUpdated();
    s.setName(e.name);
    s.setDescription(e.description);
    fillScopes(s, e.scopes);
  }
  void operator()(const body::RotationStarted& e) {
    auto r = b.initRotationStarted();
    r.setToken(dataOf(e.token));
    r.setPreviousToken(dataOf(e.previousToken));
    r.setPreviousExpiresAt(e.previousExpiresAt);
    r.setExpireNow(e.expireNow);
    r.setTokenHint(e.tokenHint);
  }
  void operator()(const body::RotationCancelled& e) {
    auto r = b.initRotationCancelled();
    r.setCancelledToken(dataOf(e.cancelledToken));
    r.setRestoredToken(dataOf(e.restoredToken));
  }
  void operator()(const body::Expired& e) {
    auto x = b.initExpired();
    x.setToken(dataOf(e.token));
    x.setReason(toSchema(e.reason));
    if (e.source) x.setSource(*e.source);
  }
  void operator()(const body::Deleted&) { b.initDeleted(); }
  void operator()(const body::PermissionChanged& e) {
    auto p = b.initPermissionChanged();
    p.setUserId(e.userId);
    p.setAllowed(e.allowed);
  }
  void operator()(const body::WebhookSubscribed& e) {
    auto w = b.initWebhookSubscribed();
    w.setWebhookId(e.webhookId);
    w.setUrl(e.url);
    auto list = w.initEvents(static_cast<unsigned>(e.events.size()));
    for (unsigned i = 0; i < e.events.size(); ++i) list.set(i, e.events[i]);
    if (!e.secretEventId.empty()) {
      w.setSecretEventId(dataReader(e.secretEventId));
    }
    w.setKeyFingerprint(dataOf(e.keyFingerprint));
  }
  void operator()(const body::WebhookRemoved& e) {
    b.initWebhookRemoved().setWebhookId(e.webhookId);
  }
};

// Which Data fields of a body must hold a 32-byte digest.
bool digestsWellFormed(Event::Body::Reader b) {
  auto ok = [](capnp::Data::Reader d) { return d.size() == 32; };
  switch (b.which()) {
    case Event::Body::CREATED: return ok(b.getCreated().getToken());
    case Event::Body::ROTATION_STARTED:
      return ok(b.getRotationStarted().getToken()) &&
             ok(b.getRotationStarted().getPreviousToken());
    case Event::Body::ROTATION_CANCELLED:
      return ok(b.getRotationCancelled().getCancelledToken()) &&
             ok(b.getRotationCancelled().getRestoredToken());
    case Event::Body::EXPIRED: return ok(b.getExpired().getToken());
    case Event::Body::WEBHOOK_SUBSCRIBED: {
      auto w = b.getWebhookSubscribed();
      const auto secretFrom = w.getSecretEventId().size();
      return ok(w.getKeyFingerprint()) && (secretFrom == 0 || secretFrom == 16);
    }
    default: return true;
  }
}
// Reads every Text of an event once (through the generated getters, which check that a text is
// NUL-terminated inside its segment), so that an unterminated text throws here, inside decode(),
// and never later in a reader such as pit-dump or replay. isCanonical() has already checked every
// pointer's bounds and layout; only texts carry a further rule. kEventTextFields lists the fields
// read here, and a test compares it with the schema, so a Text field added later cannot be missed.
void touchTexts(Event::Reader e) {
  auto texts = [](capnp::List<capnp::Text>::Reader list) {
    for (auto t : list) (void)t;
  };
  (void)e.getStreamId();
  (void)e.getRequestId();
  (void)e.getAccountId();
  (void)e.getActor().getAccountId();
  (void)e.getActor().getUserId();
  auto b = e.getBody();
  switch (b.which()) {
    case Event::Body::CREATED: {
      auto c = b.getCreated();
      (void)c.getName();
      (void)c.getDescription();
      texts(c.getScopes());
      (void)c.getTokenHint();
      break;
    }
    case Event::Body::SCOPES_UPDATED: {
      auto u = b.getScopesUpdated();
      (void)u.getName();
      (void)u.getDescription();
      texts(u.getScopes());
      break;
    }
    case Event::Body::ROTATION_STARTED: (void)b.getRotationStarted().getTokenHint(); break;
    case Event::Body::PERMISSION_CHANGED: (void)b.getPermissionChanged().getUserId(); break;
    case Event::Body::EXPIRED: (void)b.getExpired().getSource(); break;
    case Event::Body::WEBHOOK_SUBSCRIBED: {
      auto w = b.getWebhookSubscribed();
      (void)w.getWebhookId();
      (void)w.getUrl();
      texts(w.getEvents());
      break;
    }
    case Event::Body::WEBHOOK_REMOVED: (void)b.getWebhookRemoved().getWebhookId(); break;
    case Event::Body::ROTATION_CANCELLED:
    case Event::Body::DELETED: break;
  }
}

}  // namespace

const std::vector<std::string>& eventTextFields() {
  static const std::vector<std::string> kFields = {
      "streamId", "requestId", "accountId", "actor.accountId", "actor.userId",
      "body.created.name", "body.created.description", "body.created.scopes",
      "body.created.tokenHint", "body.scopesUpdated.name", "body.scopesUpdated.description",
      "body.scopesUpdated.scopes", "body.rotationStarted.tokenHint",
      "body.expired.source", "body.permissionChanged.userId",
      "body.webhookSubscribed.webhookId", "body.webhookSubscribed.url",
      "body.webhookSubscribed.events", "body.webhookRemoved.webhookId"};
  return kFields;
}

bool isIntegrationEvent(Event::Body::Which which) {
  switch (which) {
    case Event::Body::PERMISSION_CHANGED:
    case Event::Body::WEBHOOK_SUBSCRIBED:
    case Event::Body::WEBHOOK_REMOVED:
      return false;
    default:
      return true;
  }
}

const char* typeName(Event::Body::Which which) {
  for (const auto& t : kTypeNames) {
    if (t.which == which) return t.name;
  }
  return "Unknown";
}

std::optional<Event::Body::Which> typeFromName(std::string_view name) {
  for (const auto& t : kTypeNames) {
    if (name == t.name) return t.which;
  }
  return std::nullopt;
}

std::string encodeEvent(const NewEvent& event, const Envelope& env) {
  capnp::MallocMessageBuilder message(256);
  auto e = message.initRoot<Event>();
  e.setSeq(env.seq);
  e.setStreamId(event.streamId);
  e.setStreamVersion(env.streamVersion);
  e.setEventId(capnp::Data::Reader(env.eventId.data(), env.eventId.size()));
  e.setAt(env.at);
  auto actor = e.initActor();
  actor.setAccountId(env.actor.accountId);
  actor.setUserId(env.actor.userId);
  actor.setRole(toSchema(env.actor.role));
  e.setRequestId(env.requestId);
  e.setPrevHash(dataOf(env.prevHash));
  e.setAccountId(event.accountId);
  std::visit(BodyWriter{e.initBody()}, event.body);
  return canonicalBytes(e.asReader());
}

Digest chainHash(const Digest& prevHash, std::string_view canonicalBytes) {
  thread_local Sha256 hasher;
  return hasher.update(prevHash).update(canonicalBytes).finish();
}

Digest digestField(capnp::Data::Reader d) {
  Digest out{};
  if (d.size() == out.size()) std::memcpy(out.data(), d.begin(), out.size());
  return out;
}

struct DecodedEvent::Message {
  kj::Array<capnp::word> words;
  kj::ArrayPtr<const capnp::word> segments[1];
  kj::Maybe<capnp::SegmentArrayMessageReader> reader;
};

Digest DecodedEvent::prevHash() const { return digestField(root_.getPrevHash()); }

std::optional<DecodedEvent> DecodedEvent::decode(std::string_view bytes, std::string* error) {
  auto fail = [&](std::string why) -> std::optional<DecodedEvent> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  if (bytes.empty() || bytes.size() % sizeof(capnp::word) != 0) {
    return fail("event value is " + std::to_string(bytes.size()) +
                " bytes, not a whole number of 8-byte words");
  }
  DecodedEvent out;
  // RocksDB values carry no alignment guarantee; Cap'n Proto readers need word alignment.
  out.message_ = std::make_shared<Message>();
  auto& m = *out.message_;
  m.words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  std::memcpy(m.words.begin(), bytes.data(), bytes.size());
  out.bytes_ = std::string_view(reinterpret_cast<const char*>(m.words.begin()), bytes.size());
  m.segments[0] = kj::ArrayPtr<const capnp::word>(m.words.begin(), m.words.size());
  std::string why;
  KJ_IF_MAYBE(exception, kj::runCatchingExceptions([&]() {
    // decode() reads everything once and its callers a few more times.
    auto options = boundedReaderOptions(m.words.size(), 8);
    // A canonical message is a single segment stored without a segment table.
    auto& reader = m.reader.emplace(kj::arrayPtr(m.segments, 1), options);
    if (!reader.isCanonical()) {
      why = "event value is not canonical Cap'n Proto";
      return;
    }
    out.root_ = reader.getRoot<Event>();
    auto r = out.root_;
    if (r.getSeq() == 0 || r.getSeq() > keys::kMaxSeq) {
      why = "sequence " + std::to_string(r.getSeq()) + " is outside the range pitlog writes";
    } else if (r.getPrevHash().size() != 32) {
      why = "prevHash is not 32 bytes";
    } else if (r.getEventId().size() != 16) {
      why = "eventId is not 16 bytes";
    } else if (!digestsWellFormed(r.getBody())) {
      why = "a token digest is not 32 bytes";
    } else if (static_cast<unsigned>(r.getBody().which()) > Event::Body::WEBHOOK_REMOVED) {
      why = "unknown event type " + std::to_string(static_cast<unsigned>(r.getBody().which()));
    } else {
      touchTexts(r);
    }
  })) {
    return fail("event value does not decode: " + std::string(exception->getDescription().cStr()));
  }
  if (!why.empty()) return fail(why);
  return out;
}

}  // namespace pitlog::events
