#include "server/rpc/wire.h"

#include <kj/debug.h>
#include <openssl/crypto.h>

#include "commands/token.h"
#include "commands/validate.h"
#include "events/digest.h"
#include "events/time_format.h"
#include "projections/state_at.h"

namespace pitlog::rpc {

using commands::Code;
using commands::Command;
using commands::Error;
using commands::invalidArgument;
using events::UnixMillis;

namespace {

std::string_view view(capnp::Text::Reader t) { return {t.begin(), t.size()}; }

std::string tokenIdOfField(capnp::Data::Reader digest) {
  return events::tokenIdOf(events::digestField(digest));
}


}  // namespace

// --- errors -------------------------------------------------------------------------------------

void setError(schema::Error::Builder out, Code code, std::string_view message,
              std::string_view field) {
  out.setCode(commands::codeName(code));
  out.setMessage(kj::StringPtr(message.data(), message.size()));
  out.setField(kj::StringPtr(field.data(), field.size()));
}

void setError(schema::Error::Builder out, const Error& error) {
  setError(out, error.code, error.message, error.field);
}

std::string rpcFieldName(std::string_view field) {
  static constexpr std::pair<std::string_view, std::string_view> kRenames[] = {
      {"accountId", "actor.accountId"},     {"X-Actor-User", "actor.userId"},
      {"X-Actor-Role", "actor.role"},       {"X-Request-Id", "requestId"},
      {"Idempotency-Key", "idempotencyKey"}, {"If-Match", "ifMatch"},
      {"staleAfterDays", "staleAfter"},
  };
  for (const auto& [from, to] : kRenames) {
    if (field == from) return std::string(to);
  }
  return std::string(field);
}

Error errorOf(const commands::CommandResult& result) {
  return {result.code, result.message, rpcFieldName(result.field)};
}

std::optional<Error> checkPayload(capnp::MessageSize size) {
  if (size.wordCount * sizeof(capnp::word) > kMaxPayloadBytes) {
    return Error{Code::payloadTooLarge,
                 "the request's parameters are " +
                     std::to_string(size.wordCount * sizeof(capnp::word)) +
                     " bytes; at most " + std::to_string(kMaxPayloadBytes) + " are allowed",
                 {}};
  }
  return std::nullopt;
}

namespace {

// Reads `value`, and every field of the structs and lists it holds: reading is what makes
// Cap'n Proto check a pointer against the schema.
void readAll(capnp::DynamicValue::Reader value);

void readAll(capnp::DynamicStruct::Reader s) {
  const auto schema = s.getSchema();
  for (auto field : schema.getNonUnionFields()) readAll(s.get(field));
  KJ_IF_MAYBE(member, s.which()) { readAll(s.get(*member)); }
}

void readAll(capnp::DynamicValue::Reader value) {
  switch (value.getType()) {
    case capnp::DynamicValue::STRUCT:
      readAll(value.as<capnp::DynamicStruct>());
      break;
    case capnp::DynamicValue::LIST:
      for (auto item : value.as<capnp::DynamicList>()) readAll(item);
      break;
    default:
      break;  // text and data were checked by get(); scalars cannot be malformed
  }
}

}  // namespace

std::optional<Error> checkParams(capnp::DynamicStruct::Reader params) {
  std::optional<capnp::MessageSize> size;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() {
                size = params.totalSize();
                if (size->wordCount * sizeof(capnp::word) <= kMaxPayloadBytes) readAll(params);
              })) {
    // The client's fault, not pitd's: no ERROR, no stack trace, one line per message.
    KJ_LOG(INFO, "refused a malformed RPC message", e->getDescription());
    return invalidArgument(
        "the call's parameters are not a well-formed message of the schema "
        "(a pointer of the wrong kind, text without its NUL, or nesting too deep)");
  }
  return checkPayload(*size);
}

// --- inputs -------------------------------------------------------------------------------------

std::optional<Error> checkId(capnp::Text::Reader id, std::string_view field) {
  if (commands::isValidId(view(id))) return std::nullopt;
  return invalidArgument(std::string(field) + " must match ^[A-Za-z0-9._:-]{1,64}$",
                         std::string(field));
}

std::optional<Error> readActor(schema::Actor::Reader in, Command& out) {
  if (auto e = checkId(in.getAccountId(), "actor.accountId")) return e;
  if (auto e = checkId(in.getUserId(), "actor.userId")) return e;
  events::Role role;
  switch (in.getRole()) {
    case schema::Actor::Role::ADMIN: role = events::Role::admin; break;
    case schema::Actor::Role::USER: role = events::Role::user; break;
    default:
      // Unspecified, or a value this schema does not know: never the system actor.
      return invalidArgument("actor.role must be admin or user", "actor.role");
  }
  out.accountId = view(in.getAccountId());
  out.actor = events::Actor{out.accountId, std::string(view(in.getUserId())), role};
  return std::nullopt;
}

namespace {

std::optional<Error> readRequestIdAndKey(capnp::Text::Reader requestId, bool hasKey,
                                         capnp::Text::Reader idempotencyKey, Command& out) {
  // validate() judges both for either protocol: the request id as X-Request-Id (empty is none),
  // the key as Idempotency-Key (1-128 printable ASCII; "" is refused).
  out.requestId = view(requestId);
  if (hasKey) out.idempotency = commands::IdempotencyKey{std::string(view(idempotencyKey)), {}};
  return std::nullopt;
}

}  // namespace

std::optional<Error> readOptions(schema::CreateOptions::Reader in, Command& out) {
  return readRequestIdAndKey(in.getRequestId(), in.hasIdempotencyKey(), in.getIdempotencyKey(),
                             out);
}

std::optional<Error> readOptions(schema::Options::Reader in, Command& out) {
  if (auto e = readRequestIdAndKey(in.getRequestId(), in.hasIdempotencyKey(),
                                   in.getIdempotencyKey(), out)) {
    return e;
  }
  auto ifMatch = in.getIfMatch();
  switch (ifMatch.which()) {
    case schema::IfMatch::NONE:
      break;
    case schema::IfMatch::ANY:
      out.ifMatch = commands::IfMatch{true, {}};
      break;
    case schema::IfMatch::VERSIONS: {
      auto versions = ifMatch.getVersions();
      if (versions.size() == 0) {
        return invalidArgument("ifMatch.versions must name at least one version", "ifMatch");
      }
      commands::IfMatch m;
      for (auto v : versions) m.versions.push_back(v);
      out.ifMatch = std::move(m);
      break;
    }
    default:
      return invalidArgument("ifMatch is none, any or a list of versions", "ifMatch");
  }
  return std::nullopt;
}

std::optional<Error> readTime(capnp::Text::Reader text, std::string_view field,
                              std::optional<UnixMillis>* out) {
  out->reset();
  if (text.size() == 0) return std::nullopt;
  *out = events::parseRfc3339(view(text));
  if (!*out) {
    return invalidArgument(std::string(field) +
                               " must be an RFC 3339 time with a zone, e.g. 2026-11-28T17:00:00.000Z",
                           std::string(field));
  }
  return std::nullopt;
}

// --- outputs ------------------------------------------------------------------------------------

void fillIntegration(schema::Integration::Builder out, const projections::IntegrationView& v,
                     UnixMillis at, const LastUseLookup& lastUsed) {
  out.setId(v.id);
  out.setAccountId(v.accountId);
  out.setName(v.name);
  out.setDescription(v.description);
  auto scopes = out.initScopes(v.scopes.size());
  for (size_t i = 0; i < v.scopes.size(); ++i) scopes.set(i, v.scopes[i]);
  out.setStatus(v.deleted ? schema::Integration::Status::DELETED
                          : schema::Integration::Status::ACTIVE);
  out.setVersion(v.version);
  out.setCreatedAt(events::formatRfc3339(v.createdAt));
  out.setCreatedBy(v.createdBy);
  out.setUpdatedAt(events::formatRfc3339(v.updatedAt));
  const auto state = projections::stateAt(v, at);
  const auto& valid = state.validTokens;
  auto tokens = out.initTokens(valid.size());
  for (size_t i = 0; i < valid.size(); ++i) {
    const auto& t = valid[i];
    auto b = tokens[i];
    b.setTokenId(events::tokenIdOf(t.digest));
    b.setHint(commands::tokenHint(t.hint));
    b.setState(t.state == projections::TokenState::current ? schema::TokenInfo::State::CURRENT
                                                           : schema::TokenInfo::State::PREVIOUS);
    b.setIssuedAt(events::formatRfc3339(t.issuedAt));
    if (t.expiresAt) {
      b.getExpiresAt().setAt(events::formatRfc3339(*t.expiresAt));
    } else {
      b.getExpiresAt().setNone();
    }
    const auto used = lastUsed ? lastUsed(t.digest) : std::nullopt;
    if (used) {
      b.getLastUsedAt().setAt(events::formatRfc3339(*used));
    } else {
      b.getLastUsedAt().setNever();
    }
  }
  auto rotation = out.getRotation();
  if (state.pendingRotation) {
    auto r = rotation.initPending();
    r.setStartedAt(events::formatRfc3339(state.pendingRotation->startedAt));
    r.setPreviousExpiresAt(events::formatRfc3339(state.pendingRotation->previousExpiresAt));
  } else {
    rotation.setNone();
  }
}

void fillEvent(schema::Event::Builder out, const events::DecodedEvent& event) {
  using Body = events::schema::Event::Body;
  auto e = event.reader();
  out.setSeq(e.getSeq());
  out.setStreamId(e.getStreamId());
  out.setStreamVersion(e.getStreamVersion());
  out.setEventId(events::toHex(events::dataView(e.getEventId())));
  out.setAt(events::formatRfc3339(e.getAt()));
  auto actor = out.initActor();
  auto a = e.getActor();
  actor.setAccountId(a.getAccountId());
  actor.setUserId(a.getUserId());
  switch (a.getRole()) {
    case events::schema::Actor::Role::ADMIN: actor.setRole("admin"); break;
    case events::schema::Actor::Role::USER: actor.setRole("user"); break;
    case events::schema::Actor::Role::SYSTEM: actor.setRole("system"); break;
  }
  out.setRequestId(e.getRequestId());
  auto body = e.getBody();
  out.setType(events::typeName(body.which()));
  out.setPrevHash(events::toHex(event.prevHash()));
  out.setHash(events::toHex(event.hash()));

  auto data = out.getData();
  switch (body.which()) {
    case Body::CREATED: {
      auto in = body.getCreated();
      auto d = data.initCreated();
      d.setName(in.getName());
      d.setDescription(in.getDescription());
      d.setScopes(in.getScopes());
      d.setTokenId(tokenIdOfField(in.getToken()));
      d.setTokenHint(in.getTokenHint());
      break;
    }
    case Body::SCOPES_UPDATED: {
      auto in = body.getScopesUpdated();
      auto d = data.initScopesUpdated();
      d.setName(in.getName());
      d.setDescription(in.getDescription());
      d.setScopes(in.getScopes());
      break;
    }
    case Body::ROTATION_STARTED: {
      auto in = body.getRotationStarted();
      auto d = data.initRotationStarted();
      d.setTokenId(tokenIdOfField(in.getToken()));
      d.setPreviousTokenId(tokenIdOfField(in.getPreviousToken()));
      d.setPreviousExpiresAt(events::formatRfc3339(in.getPreviousExpiresAt()));
      d.setExpireNow(in.getExpireNow());
      d.setTokenHint(in.getTokenHint());
      break;
    }
    case Body::ROTATION_CANCELLED: {
      auto in = body.getRotationCancelled();
      auto d = data.initRotationCancelled();
      d.setCancelledTokenId(tokenIdOfField(in.getCancelledToken()));
      d.setRestoredTokenId(tokenIdOfField(in.getRestoredToken()));
      break;
    }
    case Body::EXPIRED: {
      auto in = body.getExpired();
      auto d = data.initExpired();
      d.setTokenId(tokenIdOfField(in.getToken()));
      events::ExpiryReason reason = events::ExpiryReason::manual;
      switch (in.getReason()) {
        case events::schema::Expired::Reason::MANUAL: reason = events::ExpiryReason::manual; break;
        case events::schema::Expired::Reason::WINDOW_ELAPSED:
          reason = events::ExpiryReason::windowElapsed;
          break;
        case events::schema::Expired::Reason::ROTATED_NOW:
          reason = events::ExpiryReason::rotatedNow;
          break;
        case events::schema::Expired::Reason::REVOKED: reason = events::ExpiryReason::revoked; break;
      }
      d.setReason(events::expiryReasonName(reason));
      if (in.hasSource()) d.setSource(in.getSource());
      break;
    }
    case Body::DELETED:
      data.setDeleted();
      break;
    case Body::PERMISSION_CHANGED: {
      auto in = body.getPermissionChanged();
      auto d = data.initPermissionChanged();
      d.setUserId(in.getUserId());
      d.setAllowed(in.getAllowed());
      break;
    }
    case Body::WEBHOOK_SUBSCRIBED: {
      auto in = body.getWebhookSubscribed();
      auto d = data.initWebhookSubscribed();
      d.setWebhookId(in.getWebhookId());
      d.setUrl(in.getUrl());
      d.setEvents(in.getEvents());
      d.setSecretEventId(events::toHex(events::dataView(in.getSecretEventId())));
      d.setKeyFingerprint(events::toHex(events::dataView(in.getKeyFingerprint())));
      break;
    }
    case Body::WEBHOOK_REMOVED:
      data.setWebhookRemoved(body.getWebhookRemoved().getWebhookId());
      break;
  }
}

void wipe(std::string& secret) {
  if (!secret.empty()) OPENSSL_cleanse(secret.data(), secret.size());
  secret.clear();
}

}  // namespace pitlog::rpc
