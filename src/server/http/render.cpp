#include "server/http/render.h"

#include <capnp/message.h>

#include "commands/token.h"
#include "events/digest.h"
#include "events/event_json.h"
#include "events/time_format.h"
#include "projections/state_at.h"
#include "server/http/introspect_fast.h"
#include "server/http/json_body.h"

namespace pitlog::server::http {

namespace {

using events::formatRfc3339;
using events::UnixMillis;
using projections::IntegrationView;
using projections::TokenState;

capnp::Text::Reader text(const std::string& s) { return capnp::Text::Reader(s.data(), s.size()); }

void setTime(capnp::JsonValue::Builder out, UnixMillis t) {
  std::string s = formatRfc3339(t);
  out.setString(text(s));
}

void setNumber(capnp::JsonValue::Builder out, uint64_t n) {
  // JSON numbers are doubles: exact up to 2^53, which sequences and Unix seconds stay below.
  out.setNumber(static_cast<double>(n));
}

}  // namespace

Renderer::Renderer() {
  codec_.handleByAnnotation<api::Integration>();
  codec_.handleByAnnotation<api::IntegrationReply>();
  codec_.handleByAnnotation<api::IntegrationWithToken>();
  codec_.handleByAnnotation<api::IntegrationList>();
  codec_.handleByAnnotation<api::EventList>();
  codec_.handleByAnnotation<api::AuditPage>();
  codec_.handleByAnnotation<api::PermissionSet>();
  codec_.handleByAnnotation<api::PermissionState>();
  codec_.handleByAnnotation<api::ScopeList>();
  codec_.handleByAnnotation<api::Health>();
  codec_.handleByAnnotation<api::Introspection>();
  codec_.handleByAnnotation<api::ErrorReply>();
  codec_.handleByAnnotation<api::Rotation>();

  strict_.setRejectUnknownFields(true);
  strict_.handleByAnnotation<api::CreateRequest>();
  strict_.handleByAnnotation<api::EditRequest>();
  strict_.handleByAnnotation<api::RotateRequest>();
  strict_.handleByAnnotation<api::EmptyRequest>();
  strict_.handleByAnnotation<api::PermissionRequest>();
  strict_.handleByAnnotation<api::IntrospectRequest>();
  strict_.handleByAnnotation<api::RevokeRequest>();
  strict_.handleByAnnotation<api::RevokeBatchRequest>();
  strict_.handleByAnnotation<api::WebhookRequest>();
}

void Renderer::fillIntegration(api::Integration::Builder out, const IntegrationView& v,
                               UnixMillis at) const {
  out.setId(text(v.id));
  out.setAccountId(text(v.accountId));
  out.setName(text(v.name));
  out.setDescription(text(v.description));
  auto scopes = out.initScopes(static_cast<capnp::uint>(v.scopes.size()));
  for (capnp::uint i = 0; i < scopes.size(); ++i) scopes.set(i, text(v.scopes[i]));
  out.setStatus(v.deleted ? "deleted" : "active");
  out.setVersion(v.version);
  out.setCreatedAt(text(formatRfc3339(v.createdAt)));
  out.setCreatedBy(text(v.createdBy));
  out.setUpdatedAt(text(formatRfc3339(v.updatedAt)));

  const auto state = projections::stateAt(v, at);
  const auto& valid = state.validTokens;
  auto tokens = out.initTokens(static_cast<capnp::uint>(valid.size()));
  for (capnp::uint i = 0; i < tokens.size(); ++i) {
    const auto& t = valid[i];
    auto b = tokens[i];
    b.setTokenId(text(events::tokenIdOf(t.digest)));
    b.setHint(text(commands::tokenHint(t.hint)));
    b.setState(t.state == TokenState::current ? "current" : "previous");
    b.setIssuedAt(text(formatRfc3339(t.issuedAt)));
    if (t.expiresAt) {
      setTime(b.initExpiresAt(), *t.expiresAt);
    } else {
      b.initExpiresAt().setNull();
    }
    const auto lastUsed = lastUse_ ? lastUse_(t.digest) : std::nullopt;
    if (lastUsed) {
      setTime(b.initLastUsedAt(), *lastUsed);
    } else {
      b.initLastUsedAt().setNull();
    }
  }

  if (state.pendingRotation) {
    capnp::MallocMessageBuilder scratch;
    auto r = scratch.initRoot<api::Rotation>();
    r.setStartedAt(text(formatRfc3339(state.pendingRotation->startedAt)));
    r.setPreviousExpiresAt(text(formatRfc3339(state.pendingRotation->previousExpiresAt)));
    codec_.encode(r.asReader(), out.initRotation());
  } else {
    out.initRotation().setNull();
  }
}

std::string Renderer::integration(const IntegrationView& view, UnixMillis at) const {
  capnp::MallocMessageBuilder m;
  auto root = m.initRoot<api::IntegrationReply>();
  fillIntegration(root.initIntegration(), view, at);
  return encode(root.asReader());
}

std::string Renderer::integrationWithToken(const IntegrationView& view,
                                           const std::optional<std::string>& token,
                                           UnixMillis at) const {
  capnp::MallocMessageBuilder m;
  auto root = m.initRoot<api::IntegrationWithToken>();
  fillIntegration(root.initIntegration(), view, at);
  if (token) {
    root.initToken().setString(text(*token));
  } else {
    root.initToken().setNull();
  }
  return encode(root.asReader());
}

std::string Renderer::integrationList(const std::vector<IntegrationView>& views,
                                      UnixMillis at) const {
  capnp::MallocMessageBuilder m;
  auto root = m.initRoot<api::IntegrationList>();
  auto list = root.initIntegrations(static_cast<capnp::uint>(views.size()));
  for (capnp::uint i = 0; i < list.size(); ++i) fillIntegration(list[i], views[i], at);
  return encode(root.asReader());
}

void Renderer::fillEvents(capnp::List<capnp::JsonValue>::Builder out,
                          const std::vector<events::DecodedEvent>& events) const {
  for (capnp::uint i = 0; i < out.size(); ++i) {
    decodeJsonValue(codec_, events::eventToJson(events[i]), out[i]);
  }
}

std::string Renderer::eventList(const std::vector<events::DecodedEvent>& events) const {
  capnp::MallocMessageBuilder m;
  auto root = m.initRoot<api::EventList>();
  fillEvents(root.initEvents(static_cast<capnp::uint>(events.size())), events);
  return encode(root.asReader());
}

std::string Renderer::auditPage(const commands::AuditPage& page) const {
  capnp::MallocMessageBuilder m;
  auto root = m.initRoot<api::AuditPage>();
  fillEvents(root.initEvents(static_cast<capnp::uint>(page.events.size())), page.events);
  if (page.next) {
    setNumber(root.initNext(), *page.next);
  } else {
    root.initNext().setNull();
  }
  return encode(root.asReader());
}

std::string Renderer::permissionSet(const std::string& userId, bool allowed) const {
  capnp::MallocMessageBuilder m;
  auto root = m.initRoot<api::PermissionSet>();
  root.setUserId(text(userId));
  root.setAllowed(allowed);
  return encode(root.asReader());
}

std::string Renderer::permissionState(const std::string& userId,
                                      std::optional<bool> recorded) const {
  capnp::MallocMessageBuilder m;
  auto root = m.initRoot<api::PermissionState>();
  root.setUserId(text(userId));
  if (recorded) {
    root.initAllowed().setBoolean(*recorded);
    root.setSource(*recorded ? "grant" : "withdrawal");
  } else {
    root.initAllowed().setNull();
    root.setSource("default");
  }
  return encode(root.asReader());
}

std::string Renderer::scopes(const std::vector<std::string>& scopes) const {
  capnp::MallocMessageBuilder m;
  auto root = m.initRoot<api::ScopeList>();
  auto list = root.initScopes(static_cast<capnp::uint>(scopes.size()));
  for (capnp::uint i = 0; i < list.size(); ++i) list.set(i, text(scopes[i]));
  return encode(root.asReader());
}

std::string Renderer::health(const std::string& status, const std::string& reason,
                             const std::optional<ClusterHealthInfo>& cluster) const {
  capnp::MallocMessageBuilder m;
  auto root = m.initRoot<api::Health>();
  root.setStatus(text(status));
  if (!reason.empty()) root.setReason(text(reason));
  if (cluster) {
    auto c = root.initCluster();
    c.setNode(text(cluster->node));
    c.setPosition(static_cast<double>(cluster->position));
    c.setLagMs(static_cast<double>(cluster->lagMs));
    c.setConnected(cluster->connected);
  }
  return encode(root.asReader());
}

std::string Renderer::introspection(const commands::Verification& v) const {
  if (auto plain = renderPlainIntrospection(v)) return std::move(*plain);
  return introspectionByCodec(v);
}

std::string Renderer::introspectionByCodec(const commands::Verification& v) const {
  capnp::MallocMessageBuilder m;
  auto root = m.initRoot<api::Introspection>();
  root.setActive(v.active);
  if (v.active && v.grant) {
    root.setScope(text(v.grant->scopeText()));
    root.setTokenType("pit");
    root.setAccountId(text(v.grant->accountId()));
    const auto integrationId = v.grant->integrationId();
    root.setIntegrationId(capnp::Text::Reader(integrationId.data(), integrationId.size()));
    setNumber(root.initIat(), static_cast<uint64_t>(v.issuedAt / 1000));
    if (v.expiresAt) setNumber(root.initExp(), static_cast<uint64_t>(*v.expiresAt / 1000));
    if (v.allowed) root.initAllowed().setBoolean(*v.allowed);
  }
  return encode(root.asReader());
}

std::string Renderer::error(commands::Code code, const std::string& message,
                            const std::string& field) const {
  capnp::MallocMessageBuilder m;
  auto detail = m.initRoot<api::ErrorReply>().initError();
  detail.setCode(commands::codeName(code));
  detail.setMessage(text(message));
  if (!field.empty()) detail.setField(text(field));
  return encode(m.getRoot<api::ErrorReply>().asReader());
}

}  // namespace pitlog::server::http
