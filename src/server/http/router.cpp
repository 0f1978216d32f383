#include "server/http/router.h"

#include <algorithm>

namespace pitlog::server::http {

namespace {

using kj::HttpMethod;

// The only routes callable without a service key.
const Route kHealthz{RouteId::healthz, "/healthz", {HttpMethod::GET}, false, Access::open};
const Route kMetrics{RouteId::metrics, "/metrics", {HttpMethod::GET}, false, Access::open};
const Route kScopes{RouteId::scopes, "/v1/scopes", {HttpMethod::GET}, false};
const Route kIntrospect{RouteId::introspect, "/v1/introspect", {HttpMethod::POST}, false,
                        Access::serviceKeyOrClientSecret};
const Route kIntegrations{RouteId::integrations, "/v1/accounts/{a}/integrations",
                          {HttpMethod::GET, HttpMethod::POST}, true};
const Route kIntegration{RouteId::integration, "/v1/accounts/{a}/integrations/{id}",
                         {HttpMethod::GET, HttpMethod::PATCH, HttpMethod::DELETE}, true};
const Route kRotate{RouteId::rotate, "/v1/accounts/{a}/integrations/{id}/rotate",
                    {HttpMethod::POST}, true};
const Route kRotationCancel{RouteId::rotationCancel,
                            "/v1/accounts/{a}/integrations/{id}/rotation/cancel",
                            {HttpMethod::POST}, true};
const Route kRotationExpireNow{RouteId::rotationExpireNow,
                               "/v1/accounts/{a}/integrations/{id}/rotation/expire-now",
                               {HttpMethod::POST}, true};
const Route kIntegrationEvents{RouteId::integrationEvents,
                               "/v1/accounts/{a}/integrations/{id}/events", {HttpMethod::GET}, true};
const Route kAudit{RouteId::audit, "/v1/accounts/{a}/audit", {HttpMethod::GET}, true};
const Route kPermission{RouteId::permission, "/v1/accounts/{a}/users/{u}/permission",
                        {HttpMethod::GET, HttpMethod::PUT}, true};

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
  return !match || match->route->access != Access::open;
}

bool acceptsClientSecret(const std::optional<RouteMatch>& match) {
  return match && match->route->access == Access::serviceKeyOrClientSecret;
}

const std::vector<const Route*>& allRoutes() {
  static const std::vector<const Route*> routes = {
      &kHealthz,     &kMetrics,        &kScopes,           &kIntrospect,
      &kIntegrations, &kIntegration,   &kRotate,           &kRotationCancel,
      &kRotationExpireNow, &kIntegrationEvents, &kAudit,   &kPermission};
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
  if (n < 2 || s[0] != "v1") return std::nullopt;
  if (n == 2 && s[1] == "scopes") {
    m.route = &kScopes;
    return m;
  }
  if (n == 2 && s[1] == "introspect") {
    m.route = &kIntrospect;
    return m;
  }
  if (n < 4 || s[1] != "accounts") return std::nullopt;
  m.account = s[2];
  if (n == 4 && s[3] == "audit") {
    m.route = &kAudit;
    return m;
  }
  if (n == 6 && s[3] == "users" && s[5] == "permission") {
    m.user = s[4];
    m.route = &kPermission;
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

}  // namespace pitlog::server::http
