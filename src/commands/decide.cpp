#include "commands/decide.h"

#include <algorithm>

#include "events/keys.h"

namespace pitlog::commands {

using events::Digest;
using events::NewEvent;
using projections::TokenRecord;
using projections::TokenState;
namespace body = events::body;

bool mayManage(const events::Actor& actor, std::optional<bool> recorded) {
  if (actor.role == events::Role::system) return true;
  if (recorded) return *recorded;
  return actor.role == events::Role::admin;
}

namespace {

Error notFound(const std::string& id) {
  return {Code::notFound, "integration '" + id + "' was not found", {}};
}

Error conflict(std::string message) { return {Code::conflict, std::move(message), {}}; }

// The previous token of the pending rotation: one whose deadline is still ahead. Once the
// deadline has passed the window is over even before the scheduler writes its Expired event
// (verification already rejects that token), so it may be neither restored nor cut short, and
// it does not block a new rotation.
const TokenRecord* pendingPrevious(const IntegrationView& v, events::UnixMillis now) {
  for (const auto& t : v.tokens) {
    if (t.state == TokenState::previous && t.expiresAt && now < *t.expiresAt) return &t;
  }
  return nullptr;
}

struct Decider {
  const Command& command;
  const DecisionInput& in;

  NewEvent event(events::Body b) const {
    const std::string& id = in.integration ? in.integration->id : in.newIntegrationId;
    return NewEvent{id, command.accountId, std::move(b)};
  }

  // Existence and version, in that order, for commands on an integration (authorization came
  // first, in decide()).
  std::optional<Error> checkTarget(const std::string& id) const {
    const IntegrationView* v = in.integration;
    if (v == nullptr || !v->exists() || v->deleted || v->accountId != command.accountId) {
      return notFound(id);
    }
    if (command.ifMatch && !command.ifMatch->matches(v->version)) {
      return Error{Code::versionMismatch,
                   "integration '" + id + "' is at version " + std::to_string(v->version) +
                       ", not the version If-Match names",
                   {}};
    }
    return std::nullopt;
  }

  std::variant<Decision, Error> operator()(const CreateIntegration& c) const {
    Decision d;
    d.events.push_back(event(body::Created{c.name, c.description, c.scopes, in.token->digest,
                                           std::string(tokenTail(in.token->plaintext))}));
    return d;
  }

  std::variant<Decision, Error> operator()(const EditIntegration& c) const {
    if (auto e = checkTarget(c.integrationId)) return *e;
    const auto& v = *in.integration;
    Decision d;
    d.events.push_back(event(body::ScopesUpdated{c.name.value_or(v.name),
                                                 c.description.value_or(v.description),
                                                 c.scopes.value_or(v.scopes)}));
    return d;
  }

  std::variant<Decision, Error> operator()(const RotateToken& c) const {
    if (auto e = checkTarget(c.integrationId)) return *e;
    const auto& v = *in.integration;
    const TokenRecord* current = v.current();
    std::string tail(tokenTail(in.token->plaintext));
    Decision d;
    // A revoked current token leaves nothing to overlap: `later` acts as `now` (API.md), and the
    // RotationStarted names no previous token (zeros).
    const bool nothingToOverlap = current == nullptr && v.validTokens(in.now).empty();
    const Digest previousDigest = current ? current->digest : Digest{};
    if (c.expire == ExpireMode::later && !nothingToOverlap) {
      // current == nullptr here means a revoked current token with a previous one still valid.
      if (current == nullptr || pendingPrevious(v, in.now) != nullptr) {
        return conflict("a rotation is already pending: cancel it or expire the previous token "
                        "first");
      }
      d.events.push_back(event(body::RotationStarted{
          in.token->digest, current->digest, in.now + in.rotationWindowMs, false, tail}));
      return d;
    }
    d.events.push_back(
        event(body::RotationStarted{in.token->digest, previousDigest, in.now, true, tail}));
    // Every token valid until now expires with this command: the one that was current and,
    // during a pending window, the previous one too.
    for (const auto& t : v.validTokens(in.now)) {
      d.events.push_back(
          event(body::Expired{t.digest, events::ExpiryReason::rotatedNow, std::nullopt}));
    }
    return d;
  }

  std::variant<Decision, Error> operator()(const CancelRotation& c) const {
    if (auto e = checkTarget(c.integrationId)) return *e;
    const auto& v = *in.integration;
    const TokenRecord* previous = pendingPrevious(v, in.now);
    if (previous == nullptr) {
      return conflict("integration '" + c.integrationId + "' has no pending rotation to cancel");
    }
    Decision d;
    // The token the rotation issued may have been revoked since: nothing is left to cancel but
    // the window, and the previous token is current again all the same.
    const TokenRecord* issued = v.current();
    d.events.push_back(
        event(body::RotationCancelled{issued ? issued->digest : Digest{}, previous->digest}));
    return d;
  }

  std::variant<Decision, Error> operator()(const ExpireRotationNow& c) const {
    if (auto e = checkTarget(c.integrationId)) return *e;
    const auto& v = *in.integration;
    const TokenRecord* previous = pendingPrevious(v, in.now);
    if (previous == nullptr) {
      return conflict("integration '" + c.integrationId + "' has no pending rotation to expire");
    }
    Decision d;
    d.events.push_back(
        event(body::Expired{previous->digest, events::ExpiryReason::manual, std::nullopt}));
    return d;
  }

  std::variant<Decision, Error> operator()(const ExpireElapsedWindow&) const {
    Decision d;
    const IntegrationView* v = in.integration;
    if (v == nullptr || !v->exists() || v->deleted) return d;
    for (const auto& t : v->tokens) {
      if (t.state == TokenState::previous && t.expiresAt && *t.expiresAt <= in.now) {
        d.events.push_back(
            event(body::Expired{t.digest, events::ExpiryReason::windowElapsed, std::nullopt}));
      }
    }
    return d;
  }

  std::variant<Decision, Error> operator()(const DeleteIntegration& c) const {
    if (auto e = checkTarget(c.integrationId)) return *e;
    Decision d;
    d.events.push_back(event(body::Deleted{}));
    return d;
  }

  // Account-agnostic: whoever holds a token may kill it. Each token still valid at `now` gets one
  // Expired(revoked) in its integration's stream and its account's audit; any other token (unknown,
  // expired, revoked already, named twice) gets nothing, and the command succeeds all the same.
  std::variant<Decision, Error> operator()(const RevokeTokens& c) const {
    Decision d;
    std::vector<Digest> expired;
    for (const auto& target : in.revocations) {
      const IntegrationView* v = target.integration;
      if (v == nullptr || !v->exists() || v->deleted) continue;
      if (std::find(expired.begin(), expired.end(), target.digest) != expired.end()) continue;
      const auto valid = v->validTokens(in.now);
      const bool isValid = std::any_of(valid.begin(), valid.end(), [&](const TokenRecord& t) {
        return t.digest == target.digest;
      });
      if (!isValid) continue;
      expired.push_back(target.digest);
      d.events.push_back(NewEvent{
          v->id, v->accountId,
          body::Expired{target.digest, events::ExpiryReason::revoked, c.source}});
    }
    return d;
  }

  std::optional<Error> checkWebhookVersion(const std::string& webhookId) const {
    if (command.ifMatch && !command.ifMatch->matches(in.webhookStreamVersion)) {
      return Error{Code::versionMismatch,
                   "webhook '" + webhookId + "' is at version " +
                       std::to_string(in.webhookStreamVersion) + ", not the version If-Match names",
                   {}};
    }
    return std::nullopt;
  }

  // A replace keeps the secret: its event names the eventId that created the subscription.
  std::variant<Decision, Error> operator()(const SubscribeWebhook& c) const {
    if (auto e = checkWebhookVersion(c.webhookId)) return *e;
    // Its secret derives from the master key it was made under: under another key a replace
    // would sign with a secret its subscriber never saw.
    if (in.webhook && in.webhook->keyFingerprint != c.keyFingerprint) {
      return conflict("webhook '" + c.webhookId +
                      "' was subscribed under another webhook key than this server's: delete it "
                      "and create it again for a new secret");
    }
    body::WebhookSubscribed w{c.webhookId, c.url, c.events, {}, c.keyFingerprint};
    if (in.webhook) w.secretEventId = in.webhook->secretEventId;
    Decision d;
    d.events.push_back(NewEvent{events::keys::webhookStreamId(command.accountId, c.webhookId),
                                command.accountId, std::move(w)});
    return d;
  }

  std::variant<Decision, Error> operator()(const RemoveWebhook& c) const {
    if (in.webhook == nullptr) {
      return Error{Code::notFound, "webhook '" + c.webhookId + "' was not found", {}};
    }
    if (auto e = checkWebhookVersion(c.webhookId)) return *e;
    Decision d;
    d.events.push_back(NewEvent{events::keys::webhookStreamId(command.accountId, c.webhookId),
                                command.accountId, body::WebhookRemoved{c.webhookId}});
    return d;
  }

  std::variant<Decision, Error> operator()(const SetPermission& c) const {
    if (command.ifMatch && !command.ifMatch->matches(in.permissionStreamVersion)) {
      return Error{Code::versionMismatch,
                   "the permission of user '" + c.userId + "' is at version " +
                       std::to_string(in.permissionStreamVersion) +
                       ", not the version If-Match names",
                   {}};
    }
    Decision d;
    d.events.push_back(NewEvent{events::keys::permissionStreamId(command.accountId, c.userId),
                                command.accountId, body::PermissionChanged{c.userId, c.allowed}});
    return d;
  }
};

}  // namespace

std::optional<Error> authorize(const Command& command, std::optional<bool> actorPermission) {
  if (std::holds_alternative<ExpireElapsedWindow>(command.action)) {
    if (command.actor.role == events::Role::system) return std::nullopt;
    return Error{Code::permissionDenied, "only the expiry scheduler may expire elapsed windows", {}};
  }
  if (std::holds_alternative<RevokeTokens>(command.action)) {
    if (command.actor.role == events::Role::system) return std::nullopt;
    return Error{Code::permissionDenied, "only the revocation route may revoke tokens by value",
                 {}};
  }
  if (std::holds_alternative<SetPermission>(command.action)) {
    if (command.actor.role == events::Role::admin) return std::nullopt;
    return Error{Code::permissionDenied, "only an admin may grant or withdraw permissions", {}};
  }
  if (mayManage(command.actor, actorPermission)) return std::nullopt;
  return Error{Code::permissionDenied,
               "user '" + command.actor.userId + "' may not manage the integrations of account '" +
                   command.accountId + "'",
               {}};
}

std::variant<Decision, Error> decide(const Command& command, const DecisionInput& input) {
  if (auto denied = authorize(command, input.actorPermission)) return std::move(*denied);
  return std::visit(Decider{command, input}, command.action);
}

}  // namespace pitlog::commands
