#include "server/http/handlers.h"

#include "server/engine_bridge.h"

namespace pitlog::server::http {

using commands::Code;
using commands::CommandResult;
using kj::HttpMethod;

std::vector<std::string_view> Handlers::knownQuery(RouteId route, HttpMethod method) {
  if (method != HttpMethod::GET) return {};
  switch (route) {
    case RouteId::integrations: return {"includeDeleted", "staleAfterDays", "unusedForDays"};
    case RouteId::integration: return {"asOf"};
    case RouteId::audit: return {"after", "limit", "since", "until"};
    case RouteId::consoleSignIn: return {"code"};
    case RouteId::logInclusionProof: return {"seq", "treeSize"};
    case RouteId::logConsistencyProof: return {"from", "to"};
    default: return {};
  }
}

bool Handlers::needsBody(RouteId route, HttpMethod method) {
  switch (route) {
    case RouteId::integrations: return method == HttpMethod::POST;
    case RouteId::integration: return method == HttpMethod::PATCH;
    case RouteId::rotate: return true;
    case RouteId::permission: return method == HttpMethod::PUT;
    case RouteId::webhook: return method == HttpMethod::PUT;
    case RouteId::introspect: return true;
    case RouteId::revoke: return true;
    case RouteId::revokeBatch: return true;
    default: return false;
  }
}

bool Handlers::isMutation(RouteId route, HttpMethod method) {
  if (method == HttpMethod::GET) return false;
  switch (route) {
    case RouteId::integrations:
    case RouteId::integration:
    case RouteId::rotate:
    case RouteId::rotationCancel:
    case RouteId::rotationExpireNow:
    case RouteId::permission:
    case RouteId::webhook:
      return true;
    default:
      return false;
  }
}

kj::Promise<Reply> Handlers::handle(Call& call) {
  const HttpMethod m = call.method;
  switch (call.match.route->id) {
    case RouteId::healthz: return health(call);
    case RouteId::metrics: return metricsPage(call);
    case RouteId::scopes: return scopes(call);
    case RouteId::introspect: return introspect(call);
    case RouteId::revoke: return revoke(call);
    case RouteId::revokeBatch: return revokeBatch(call);
    case RouteId::logPublicKey: return logPublicKey(call);
    case RouteId::logCheckpoint: return logCheckpoint(call);
    case RouteId::logInclusionProof: return logInclusionProof(call);
    case RouteId::logConsistencyProof: return logConsistencyProof(call);
    case RouteId::integrations:
      if (m == HttpMethod::POST) return createIntegration(call);
      return listIntegrations(call);
    case RouteId::integration:
      if (m == HttpMethod::PATCH) return editIntegration(call);
      if (m == HttpMethod::DELETE) return deleteIntegration(call);
      return getIntegration(call);
    case RouteId::rotate: return rotate(call);
    case RouteId::rotationCancel: return cancelRotation(call);
    case RouteId::rotationExpireNow: return expireRotationNow(call);
    case RouteId::integrationEvents: return integrationEvents(call);
    case RouteId::audit: return audit(call);
    case RouteId::permission:
      if (m == HttpMethod::PUT) return setPermission(call);
      return getPermission(call);
    case RouteId::webhooks: return listWebhooks(call);
    case RouteId::webhook:
      if (m == HttpMethod::PUT) return putWebhook(call);
      if (m == HttpMethod::DELETE) return deleteWebhook(call);
      return getWebhook(call);
    case RouteId::webhookDeliveries: return webhookDeliveries(call);
    case RouteId::consoleLinks:
    case RouteId::consoleSignIn:
    case RouteId::consoleSignOut:
    case RouteId::consoleSession:
    case RouteId::consoleAsset:
      break;  // ApiService sends these to ConsoleHandlers
  }
  KJ_FAIL_ASSERT("no API handler for this route", call.match.route->pattern);
}

Reply Handlers::errorReply(Code code, const std::string& message, const std::string& field) const {
  Reply r;
  r.status = commands::httpStatus(code);
  r.body = renderer_.error(code, message, field);
  return r;
}

Reply Handlers::resultError(const CommandResult& result) const {
  return errorReply(result.code, result.message, result.field);
}

std::optional<Reply> Handlers::requireManager(const Call& call) const {
  if (engine_.mayManage(call.actor, call.match.account)) return std::nullopt;
  return errorReply(Code::permissionDenied, "user '" + call.actor.userId +
                                                "' may not manage the integrations of account '" +
                                                call.match.account + "'");
}

kj::Promise<Reply> Handlers::execute(Call& call, commands::Action action,
                                     kj::Function<Reply(CommandResult&)> onSuccess) {
  commands::Command c;
  c.accountId = call.match.account;
  c.actor = call.actor;
  c.requestId = call.requestId;
  c.ifMatch = call.ifMatch;
  c.idempotency = call.idempotency;
  c.action = std::move(action);
  return submitAsync(engine_, std::move(c))
      .then([this, onSuccess = kj::mv(onSuccess)](CommandResult result) mutable {
        if (!result.ok()) return resultError(result);
        Reply reply = onSuccess(result);
        reply.header("ETag", "\"" + std::to_string(result.version) + "\"");
        // API.md: the seq of the mutation's last event (a replay's: the first request's), which
        // another node's X-Pitlog-Min-Position waits for. A rejection wrote no event and has
        // none, so error replies carry no position.
        if (result.lastSeq > 0) reply.header("X-Pitlog-Position", std::to_string(result.lastSeq));
        if (result.replayed) reply.header("Idempotent-Replayed", "true");
        return reply;
      });
}

}  // namespace pitlog::server::http
