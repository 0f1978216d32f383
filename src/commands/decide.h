#pragma once
// The pure decision: given a command, the state it applies to and the clock, which events to
// append, or why not. No I/O, no randomness (the fresh token and the new id are inputs), so
// every lifecycle rule is testable with plain values.
//
// Checks run in API.md's order: authorization (403), existence (404), version (412), state (409).
// Stateless rules (400) were checked by validate() before.
#include <optional>
#include <variant>
#include <vector>

#include "commands/command.h"
#include "commands/result.h"
#include "commands/token.h"
#include "projections/integration_view.h"
#include "projections/webhook_view.h"

namespace pitlog::commands {

using projections::IntegrationView;

inline constexpr int64_t kDefaultRotationWindowMs = 7LL * 24 * 3600 * 1000;
// The longest rotation window pitlog accepts (a year): deadlines stay far from overflow, and an
// overlap longer than the recommended rotation period (90 days) makes no sense anyway.
inline constexpr int64_t kMaxRotationWindowMs = 366LL * 24 * 3600 * 1000;

// API.md: an actor may manage an account's integrations if an admin granted it, or, with no grant
// or withdrawal on record, if its role is admin. `recorded` is the grant (true), the withdrawal
// (false), or nothing.
bool mayManage(const events::Actor& actor, std::optional<bool> recorded);

// Authorization alone, the first check of decide(): the writer also runs it before answering a
// repeated idempotency key, so that a request the actor may not make is 403 even when its key
// was used before (API.md's order puts authorization before state).
std::optional<Error> authorize(const Command& command, std::optional<bool> actorPermission);

// One token of a RevokeTokens command, as the writer found it: the integration whose tokens
// family entry names its digest (null when none does: unknown, or no longer valid).
struct RevocationTarget {
  events::Digest digest{};
  const IntegrationView* integration = nullptr;
};

struct DecisionInput {
  const IntegrationView* integration = nullptr;  // the target's stored view, if any
  std::vector<RevocationTarget> revocations;     // for RevokeTokens, one per token, in order
  std::optional<bool> actorPermission;           // the actor's recorded grant or withdrawal
  uint32_t permissionStreamVersion = 0;          // for SetPermission's If-Match
  const projections::WebhookView* webhook = nullptr;  // for the webhook commands: the live one
  uint32_t webhookStreamVersion = 0;             // for the webhook commands' If-Match
  const FreshToken* token = nullptr;             // for create and rotate
  std::string newIntegrationId;                  // for create
  events::UnixMillis now = 0;
  int64_t rotationWindowMs = kDefaultRotationWindowMs;
};

struct Decision {
  std::vector<events::NewEvent> events;  // empty: nothing to do (the scheduler's no-op)
};

std::variant<Decision, Error> decide(const Command& command, const DecisionInput& input);

}  // namespace pitlog::commands
