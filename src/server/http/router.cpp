#include "server/http/router.h"

#include <algorithm>

#include "server/http/parsing.h"

namespace pitlog::server::http {

namespace {

using kj::HttpMethod;

// The only routes callable without a service key.
const Route kHealthz{RouteId::healthz, "/healthz", {HttpMethod::GET}, false, Access::open};
const Route kMetrics{RouteId::metrics, "/metrics", {HttpMethod::GET}, false, Access::open};
// The catalogue is the same for every account: the console's create wizard reads it too.
const Route kScopes{RouteId::scopes, "/v1/scopes", {HttpMethod::GET}, false,
                    Access::serviceKeyOrConsoleSession};
const Route kIntrospect{RouteId::introspect, "/v1/introspect", {HttpMethod::POST}, false,
                        Access::serviceKeyOrClientSecret};
// Revocation by value (RFC 7009): a stock OAuth client sends its secret as it does to
// introspection; the batch is for secret scanners, with the Bearer key.
const Route kRevoke{RouteId::revoke, "/v1/revoke", {HttpMethod::POST}, false,
                    Access::serviceKeyOrClientSecret};
const Route kRevokeBatch{RouteId::revokeBatch, "/v1/revoke/batch", {HttpMethod::POST}, false};
const Route kIntegrations{RouteId::integrations, "/v1/accounts/{a}/integrations",
                          {HttpMethod::GET, HttpMethod::POST}, true,
    Access::serviceKeyOrConsoleSession};
const Route kIntegration{RouteId::integration, "/v1/accounts/{a}/integrations/{id}",
                         {HttpMethod::GET, HttpMethod::PATCH, HttpMethod::DELETE}, true,
    Access::serviceKeyOrConsoleSession};
const Route kRotate{RouteId::rotate, "/v1/accounts/{a}/integrations/{id}/rotate",
                    {HttpMethod::POST}, true,
    Access::serviceKeyOrConsoleSession};
const Route kRotationCancel{RouteId::rotationCancel,
                            "/v1/accounts/{a}/integrations/{id}/rotation/cancel",
                            {HttpMethod::POST}, true,
    Access::serviceKeyOrConsoleSession};
const Route kRotationExpireNow{RouteId::rotationExpireNow,
                               "/v1/accounts/{a}/integrations/{id}/rotation/expire-now",
                               {HttpMethod::POST}, true,
    Access::serviceKeyOrConsoleSession};
const Route kIntegrationEvents{RouteId::integrationEvents,
                               "/v1/accounts/{a}/integrations/{id}/events", {HttpMethod::GET}, true,
    Access::serviceKeyOrConsoleSession};
const Route kAudit{RouteId::audit, "/v1/accounts/{a}/audit", {HttpMethod::GET}, true,
    Access::serviceKeyOrConsoleSession};
const Route kPermission{RouteId::permission, "/v1/accounts/{a}/users/{u}/permission",
                        {HttpMethod::GET, HttpMethod::PUT}, true,
    Access::serviceKeyOrConsoleSession};

const Route kWebhooks{RouteId::webhooks, "/v1/accounts/{a}/webhooks", {HttpMethod::GET}, true,
                      Access::serviceKeyOrConsoleSession};
const Route kWebhook{RouteId::webhook, "/v1/accounts/{a}/webhooks/{w}",
                     {HttpMethod::GET, HttpMethod::PUT, HttpMethod::DELETE}, true,
                     Access::serviceKeyOrConsoleSession};
const Route kWebhookDeliveries{RouteId::webhookDeliveries,
                               "/v1/accounts/{a}/webhooks/{w}/deliveries", {HttpMethod::GET}, true,
                               Access::serviceKeyOrConsoleSession};

// The console: links need the service key and the actor headers (the host platform asks for its
// signed-in user); the rest is the browser's.
const Route kConsoleLinks{RouteId::consoleLinks, "/v1/accounts/{a}/console/links",
                          {HttpMethod::POST}, true};
const Route kConsoleSignIn{RouteId::consoleSignIn, "/console/signin", {HttpMethod::GET}, false,
                           Access::consoleSignIn};
const Route kConsoleSignOut{RouteId::consoleSignOut, "/console/signout", {HttpMethod::POST},
                            false, Access::consoleSession};
const Route kConsoleSession{RouteId::consoleSession, "/console/session", {HttpMethod::GET}, false,
                            Access::consoleSession};
const Route kConsoleAsset{RouteId::consoleAsset, "/console/{file}", {HttpMethod::GET}, false,
                          Access::consoleAsset};

// The log proofs reveal hashes only, but are the operator's: the service key (the default).
const Route kLogPublicKey{RouteId::logPublicKey, "/v1/log/public-key", {HttpMethod::GET}, false};
const Route kLogCheckpoint{RouteId::logCheckpoint, "/v1/log/checkpoint", {HttpMethod::GET}, false};
const Route kLogInclusionProof{RouteId::logInclusionProof, "/v1/log/proof/inclusion",
                               {HttpMethod::GET}, false};
const Route kLogConsistencyProof{RouteId::logConsistencyProof, "/v1/log/proof/consistency",
                                 {HttpMethod::GET}, false};

}  // namespace

bool Route::allows(kj::HttpMethod m) const {
  return std::find(methods.begin(), methods.end(), m) != methods.end();
}

std::string Route::allowHeader() const {
  std::string out;
  for (auto m : methods) {
    if (!out.empty()) out += ", ";
    auto name = kj::str(m);
    out.append(name.begin(), name.size());
  }
  return out;
}

bool needsServiceKey(const std::optional<RouteMatch>& match) {
  if (!match) return true;
  switch (match->route->access) {
    case Access::open:
    case Access::consoleSignIn:
    case Access::consoleSession:
    case Access::consoleAsset:
      return false;
    case Access::serviceKey:
    case Access::serviceKeyOrClientSecret:
    case Access::serviceKeyOrConsoleSession:
      return true;
  }
  return true;
}

bool acceptsConsoleSession(const std::optional<RouteMatch>& match) {
  return match && match->route->access == Access::serviceKeyOrConsoleSession;
}

bool acceptsClientSecret(const std::optional<RouteMatch>& match) {
  return match && match->route->access == Access::serviceKeyOrClientSecret;
}

const std::vector<const Route*>& allRoutes() {
  static const std::vector<const Route*> routes = {
      &kHealthz,     &kMetrics,        &kScopes,           &kIntrospect,
      &kRevoke,      &kRevokeBatch,
      &kIntegrations, &kIntegration,   &kRotate,           &kRotationCancel,
      &kRotationExpireNow, &kIntegrationEvents, &kAudit,   &kPermission,
      &kWebhooks,    &kWebhook,        &kWebhookDeliveries,
      &kConsoleLinks, &kConsoleSignIn, &kConsoleSignOut, &kConsoleSession, &kConsoleAsset,
      &kLogPublicKey, &kLogCheckpoint, &kLogInclusionProof, &kLogConsistencyProof};
  return routes;
}

std::optional<RouteMatch> matchRoute(const std::vector<std::string>& s) {
  RouteMatch m;
  const size_t n = s.size();
  if (n == 1 && s[0] == "healthz") {
    m.route = &kHealthz;
    return m;
  }
  if (n == 1 && s[0] == "metrics") {
    m.route = &kMetrics;
    return m;
  }
  if (n >= 1 && n <= 2 && s[0] == "console") {
    const std::string file = n == 2 ? s[1] : std::string();
    if (file == "signin") {
      m.route = &kConsoleSignIn;
    } else if (file == "signout") {
      m.route = &kConsoleSignOut;
    } else if (file == "session") {
      m.route = &kConsoleSession;
    } else {
      m.route = &kConsoleAsset;
      m.asset = file;
    }
    return m;
  }
  if (n < 2 || s[0] != "v1") return std::nullopt;
  if (n == 2 && s[1] == "scopes") {
    m.route = &kScopes;
    return m;
  }
  if (n == 2 && s[1] == "introspect") {
    m.route = &kIntrospect;
    return m;
  }
  if (n == 2 && s[1] == "revoke") {
    m.route = &kRevoke;
    return m;
  }
  if (n == 3 && s[1] == "revoke" && s[2] == "batch") {
    m.route = &kRevokeBatch;
    return m;
  }
  if (s[1] == "log") {
    if (n == 3 && s[2] == "public-key") {
      m.route = &kLogPublicKey;
    } else if (n == 3 && s[2] == "checkpoint") {
      m.route = &kLogCheckpoint;
    } else if (n == 4 && s[2] == "proof" && s[3] == "inclusion") {
      m.route = &kLogInclusionProof;
    } else if (n == 4 && s[2] == "proof" && s[3] == "consistency") {
      m.route = &kLogConsistencyProof;
    } else {
      return std::nullopt;
    }
    return m;
  }
  if (n < 4 || s[1] != "accounts") return std::nullopt;
  m.account = s[2];
  if (n == 4 && s[3] == "audit") {
    m.route = &kAudit;
    return m;
  }
  if (n == 5 && s[3] == "console" && s[4] == "links") {
    m.route = &kConsoleLinks;
    return m;
  }
  if (n == 6 && s[3] == "users" && s[5] == "permission") {
    m.user = s[4];
    m.route = &kPermission;
    return m;
  }
  if (s[3] == "webhooks") {
    if (n == 4) {
      m.route = &kWebhooks;
      return m;
    }
    m.webhook = s[4];
    if (n == 5) {
      m.route = &kWebhook;
    } else if (n == 6 && s[5] == "deliveries") {
      m.route = &kWebhookDeliveries;
    } else {
      return std::nullopt;
    }
    return m;
  }
  if (s[3] != "integrations") return std::nullopt;
  if (n == 4) {
    m.route = &kIntegrations;
    return m;
  }
  m.integration = s[4];
  if (n == 5) {
    m.route = &kIntegration;
  } else if (n == 6 && s[5] == "rotate") {
    m.route = &kRotate;
  } else if (n == 6 && s[5] == "events") {
    m.route = &kIntegrationEvents;
  } else if (n == 7 && s[5] == "rotation" && s[6] == "cancel") {
    m.route = &kRotationCancel;
  } else if (n == 7 && s[5] == "rotation" && s[6] == "expire-now") {
    m.route = &kRotationExpireNow;
  } else {
    return std::nullopt;
  }
  return m;
}

std::optional<RouteMatch> matchPath(std::string_view path) {
  // "/console/" would split into "console" and an empty segment, which splitPath refuses.
  if (path == "/console/") return matchRoute({"console", ""});
  auto segments = splitPath(path);
  if (!segments) return std::nullopt;
  return matchRoute(*segments);
}

}  // namespace pitlog::server::http
