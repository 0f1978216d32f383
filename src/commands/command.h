#pragma once
// Commands: what a caller asks for, on whose behalf. Built by the server (or a test) from a
// request, checked by validate() without state, then decided by the single writer.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "events/event.h"

namespace pitlog::commands {

struct CreateIntegration {
  std::string name;
  std::string description;
  std::vector<std::string> scopes;
};
struct EditIntegration {
  std::string integrationId;
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<std::vector<std::string>> scopes;
};
enum class ExpireMode { later, now };
struct RotateToken {
  std::string integrationId;
  ExpireMode expire = ExpireMode::later;
};
struct CancelRotation {
  std::string integrationId;
};
struct ExpireRotationNow {
  std::string integrationId;
};
// The expiry scheduler's command: expire the previous token if its deadline has passed.
struct ExpireElapsedWindow {
  std::string integrationId;
};
struct DeleteIntegration {
  std::string integrationId;
};
struct SetPermission {
  std::string userId;
  bool allowed = false;
};
// Revocation by value (RFC 7009, API.md "Token hygiene"): expires each token that is valid,
// whichever account holds it, and does nothing for the others. It carries the tokens' digests
// only, never a plaintext. Its command has the actor revocationActor() and no account.
struct RevokeTokens {
  std::vector<events::Digest> tokens;  // at most kMaxRevokedTokens (validate.h)
  std::optional<std::string> source;   // where they were found, as the caller says
};

// PUT /v1/accounts/{a}/webhooks/{w}: creates the subscription, or replaces its url and events
// (keeping its secret). The front-end has passed `url` through the transport's target guard and
// sets keyFingerprint from the node's webhook master key; the command carries no secret.
struct SubscribeWebhook {
  std::string webhookId;
  std::string url;
  std::vector<std::string> events;  // the API's webhook types (webhook_types.h); sorted by validate
  events::Digest keyFingerprint{};
};
struct RemoveWebhook {
  std::string webhookId;
};

using Action = std::variant<CreateIntegration, EditIntegration, RotateToken, CancelRotation,
                            ExpireRotationNow, ExpireElapsedWindow, DeleteIntegration,
                            SetPermission, RevokeTokens, SubscribeWebhook, RemoveWebhook>;

// API.md: the actor of a revocation's Expired events, {"userId": "revocation", "role": "system"}.
inline events::Actor revocationActor() { return {"", "revocation", events::Role::system}; }

// If-Match: "*" or a list of versions (strong comparison).
struct IfMatch {
  bool any = false;
  std::vector<uint32_t> versions;
  bool matches(uint32_t version) const;
};

struct IdempotencyKey {
  std::string key;  // 1-128 printable ASCII
  // What "the same request" means (API.md): the command's fingerprintOf(), whichever protocol
  // carried it; same key + another fingerprint = conflict. Front-ends leave it zero and validate()
  // fills it in once the command is normalised; a test may set its own to model another request.
  events::Digest fingerprint{};
};

struct Command {
  std::string accountId;  // the tenant; for the scheduler, the integration's account
  events::Actor actor;
  std::string requestId;
  std::optional<IfMatch> ifMatch;
  std::optional<IdempotencyKey> idempotency;
  Action action;
};

// The integration a command targets, or empty for create and set-permission.
const std::string& targetIntegration(const Action& action);
// Does this command issue a token?
bool issuesToken(const Action& action);

// SHA-256 of the operation and its arguments in one canonical encoding (each part
// length-prefixed, absent optional arguments distinct from empty ones), independent of the
// protocol, the bytes a client sent and the per-call options (request id, If-Match, the key
// itself). Call it on a normalised command (validate()), so that equivalent requests (scopes in
// another order, a name with surrounding spaces) are the same request.
events::Digest fingerprintOf(const Action& action);

}  // namespace pitlog::commands
