#pragma once
// Stateless checks of API.md's rules, run before a command is queued (400 invalid_argument).
// validate() also normalises: names trimmed, scopes de-duplicated and sorted.
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "commands/command.h"
#include "commands/result.h"
#include "commands/scope_catalogue.h"
#include "projections/integration_view.h"

namespace pitlog::commands {

inline constexpr size_t kMaxNameChars = 100;
inline constexpr size_t kMaxDescriptionChars = 1000;
inline constexpr size_t kMaxScopes = 100;
inline constexpr size_t kMaxIdChars = 64;
inline constexpr size_t kMaxIdempotencyKeyChars = 128;
inline constexpr size_t kMaxRequestIdChars = 128;
// Revocation (API.md "Token hygiene"): at most this many tokens in one batch, and a `source` of
// at most this many characters.
inline constexpr size_t kMaxRevokedTokens = 1000;
inline constexpr size_t kMaxRevocationSourceChars = 500;
// If-Match: at most this many versions in one list, over HTTP and RPC alike.
inline constexpr size_t kMaxIfMatchVersions = 100;
// A webhook's target URL: at most this many characters, printable ASCII (its form and address
// are the transport's guard's to judge).
inline constexpr size_t kMaxWebhookUrlChars = 2048;
// Queries (API.md): staleAfterDays 0-36500, audit `limit` 1-1000 (default 100), `after` a
// sequence number (at most 2^63 - 1, the largest a log can hold).
inline constexpr uint64_t kMaxStaleAfterDays = 36500;
inline constexpr uint64_t kDefaultAuditLimit = 100;
inline constexpr uint64_t kMaxAuditLimit = 1000;
inline constexpr uint64_t kMaxAuditAfter = INT64_MAX;

// ^[A-Za-z0-9._:-]{1,64}$ (account, user and integration ids)
bool isValidId(std::string_view id);
// 1-maxChars characters, each printable ASCII (0x20-0x7e): no control character can pass.
bool isPrintableAscii(std::string_view text, size_t maxChars);
// 1-128 printable ASCII characters.
bool isValidIdempotencyKey(std::string_view key);
// X-Request-Id (and an RPC call's request id): 1-128 printable ASCII characters, so that nothing
// can be smuggled into a response header or a log line.
bool isValidRequestId(std::string_view id);
// Valid UTF-8 (no overlongs, no surrogates); counts code points into *chars.
bool isValidUtf8(std::string_view text, size_t* chars = nullptr);

// Returns the first rule the command breaks, after normalising it in place. A valid command
// that carries an Idempotency-Key leaves with its fingerprint (command.h) set.
std::optional<Error> validate(Command& command, const ScopeCatalogue& catalogue);

// The query parameters of `GET …/integrations`, as either protocol carries them.
struct ListQuery {
  bool includeDeleted = false;
  std::optional<uint64_t> staleAfterDays;
  std::optional<uint64_t> unusedForDays;  // 0-36500, as staleAfterDays
};
std::optional<Error> validate(const ListQuery& query);
// staleAfterDays = N: keeps the live integrations whose current token was issued more than N
// days before `now` (strictly), drops every other.
void keepStale(std::vector<projections::IntegrationView>& views, int64_t now, uint64_t days);
// unusedForDays = N: keeps the live integrations none of whose valid tokens (at `now`) was used in
// the last N days: a token's last use (`lastUsed`), or its issue time when it was never used,
// falls strictly before now - N days. An integration with no valid token (revoked) is kept.
void keepUnused(std::vector<projections::IntegrationView>& views, int64_t now, uint64_t days,
                const std::function<std::optional<int64_t>(const events::Digest&)>& lastUsed);

// The query parameters of `GET …/audit`.
struct AuditQuery {
  uint64_t after = 0;
  uint64_t limit = kDefaultAuditLimit;
  std::optional<int64_t> since, until;  // Unix milliseconds
};
std::optional<Error> validate(const AuditQuery& query);

}  // namespace pitlog::commands
