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

using Action = std::variant<CreateIntegration, EditIntegration, RotateToken, CancelRotation,
                            ExpireRotationNow, ExpireElapsedWindow, DeleteIntegration,
                            SetPermission>;

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
