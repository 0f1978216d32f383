#pragma once
// API.md's route table: which paths exist, which methods each takes, and what its path
// parameters are. Matching is on percent-decoded segments; the ids it captures are not checked
// here (that is a 400, decided after authentication).
#include <kj/compat/http.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pitlog::server::http {

enum class RouteId {
  healthz,
  metrics,
  scopes,
  introspect,
  revoke,             // /v1/revoke (RFC 7009)
  revokeBatch,        // /v1/revoke/batch
  integrations,       // /v1/accounts/{a}/integrations
  integration,        // /v1/accounts/{a}/integrations/{id}
  rotate,             // .../{id}/rotate
  rotationCancel,     // .../{id}/rotation/cancel
  rotationExpireNow,  // .../{id}/rotation/expire-now
  integrationEvents,  // .../{id}/events
  audit,              // /v1/accounts/{a}/audit
  permission,         // /v1/accounts/{a}/users/{u}/permission
  consoleLinks,       // /v1/accounts/{a}/console/links: a sign-in link for the actor
  consoleSignIn,      // /console/signin?code=...
  consoleSignOut,     // /console/signout
  consoleSession,     // /console/session: who the session is (for the page's header)
  consoleAsset,       // /console, /console/ and /console/{file}: the console's files
  logPublicKey,         // /v1/log/public-key
  logCheckpoint,        // /v1/log/checkpoint
  logInclusionProof,    // /v1/log/proof/inclusion
  logConsistencyProof,  // /v1/log/proof/consistency
  webhooks,             // /v1/accounts/{a}/webhooks
  webhook,              // /v1/accounts/{a}/webhooks/{w}
  webhookDeliveries,    // /v1/accounts/{a}/webhooks/{w}/deliveries
};

// Who may call a route. Deny by default: every route needs the service key unless the table
// below declares it public, and a request that matches no route is treated as needing one.
enum class Access {
  serviceKey,  // Authorization: Bearer <service key>
  // The service key as above, or as an OAuth client secret (RFC 6749 §2.3.1), as stock gateways
  // and OAuth libraries present it to an introspection or revocation endpoint:
  // `Authorization: Basic base64(<client id>:<key>)`, or `client_id` and `client_secret` in a
  // form body. A route declares it; nothing else is needed (credentials.h reads the forms).
  serviceKeyOrClientSecret,
  open,  // no credentials: probes (/healthz, /metrics)
  // The service key as above, or a console session cookie of the route's own account
  // (console_sessions.h) sent with `X-Pitlog-Console: 1`; the session's actor then replaces the
  // actor headers. Declared by the account-scoped routes (a session reaches only its own
  // account's) and by the catalogue (/v1/scopes, the same for everyone).
  serviceKeyOrConsoleSession,
  consoleSignIn,   // the sign-in code in the query is the credential
  consoleSession,  // a console session cookie and `X-Pitlog-Console: 1`, never the service key
  consoleAsset,    // no credentials: the console's static files, the same for everyone
};

struct Route {
  RouteId id;
  const char* pattern;  // for logs and metrics labels
  std::vector<kj::HttpMethod> methods;
  bool accountScoped;   // needs X-Actor-User / X-Actor-Role
  Access access = Access::serviceKey;
  bool allows(kj::HttpMethod m) const;
  std::string allowHeader() const;  // "GET, POST"
};

struct RouteMatch {
  const Route* route = nullptr;
  std::string account;      // {a}
  std::string integration;  // {id}
  std::string user;         // {u}
  std::string webhook;      // {w}
  std::string asset;        // the console file's name ("" for the console's root)
};

// nullopt when no route has this shape.
std::optional<RouteMatch> matchRoute(const std::vector<std::string>& segments);

// The route of a request path (as sent, without its query): splitPath() then matchRoute(), with
// one exception: `/console/`, the console's page, is the only path with a trailing slash (the
// browser resolves the page's relative module URLs against it).
std::optional<RouteMatch> matchPath(std::string_view path);

// Whether a request needs a service key, decided from what routing matched (never from the raw
// target, whose spellings are many: percent-escapes, dot segments, case): only a matched route
// declared Access::open or one of the console's own kinds (consoleSignIn, consoleSession,
// consoleAsset) is callable without one; each of those checks its own credential in its
// handler. A route declared serviceKeyOrConsoleSession needs the key unless the request
// carries a session cookie (acceptsConsoleSession). Unknown paths need a key too, so that an
// unauthenticated caller learns nothing about which paths exist.
bool needsServiceKey(const std::optional<RouteMatch>& match);

// Whether the matched route takes a console session in place of the service key.
bool acceptsConsoleSession(const std::optional<RouteMatch>& match);

// Whether the matched route also takes the service key as an OAuth client secret (Basic, or form
// parameters in its body). False for a request that matched no route: Bearer only.
bool acceptsClientSecret(const std::optional<RouteMatch>& match);

// Every route of the table, for tests that must cover all of them.
const std::vector<const Route*>& allRoutes();

}  // namespace pitlog::server::http
