#pragma once
// API.md's route table: which paths exist, which methods each takes, and what its path
// parameters are. Matching is on percent-decoded segments; the ids it captures are not checked
// here (that is a 400, decided after authentication).
#include <kj/compat/http.h>

#include <optional>
#include <string>
#include <vector>

namespace pitlog::server::http {

enum class RouteId {
  healthz,
  metrics,
  scopes,
  introspect,
  integrations,       // /v1/accounts/{a}/integrations
  integration,        // /v1/accounts/{a}/integrations/{id}
  rotate,             // .../{id}/rotate
  rotationCancel,     // .../{id}/rotation/cancel
  rotationExpireNow,  // .../{id}/rotation/expire-now
  integrationEvents,  // .../{id}/events
  audit,              // /v1/accounts/{a}/audit
  permission,         // /v1/accounts/{a}/users/{u}/permission
};

struct Route {
  RouteId id;
  const char* pattern;  // for logs and metrics labels
  std::vector<kj::HttpMethod> methods;
  bool accountScoped;   // needs X-Actor-User / X-Actor-Role
  bool allows(kj::HttpMethod m) const;
  std::string allowHeader() const;  // "GET, POST"
};

struct RouteMatch {
  const Route* route = nullptr;
  std::string account;      // {a}
  std::string integration;  // {id}
  std::string user;         // {u}
};

// nullopt when no route has this shape.
std::optional<RouteMatch> matchRoute(const std::vector<std::string>& segments);

// True for paths under /v1/, which need a service key (checked before the route is known, so
// that an unauthenticated caller learns nothing about which paths exist).
bool needsServiceKey(std::string_view path);

}  // namespace pitlog::server::http
