// Routes that belong to no account: /v1/scopes, /v1/introspect, /healthz, /metrics.
#include <capnp/message.h>

#include "server/api.capnp.h"
#include "server/http/handlers.h"
#include "server/http/introspect_fast.h"
#include "server/http/json_body.h"
#include "server/http/parsing.h"

namespace pitlog::server::http {

using commands::Code;

namespace {

constexpr std::string_view kFormType = "application/x-www-form-urlencoded";

struct IntrospectInput {
  std::string token;
  std::optional<std::string> requiredScope;
};

// RFC 7662 §2.1: `token` and our `required_scope`; parameters a stock OAuth client adds
// (client_id, token_type_hint, ...) are ignored. Each known one may appear once.
std::optional<commands::Error> readForm(const std::string& body, IntrospectInput* in) {
  auto fields = parseForm(body);
  if (!fields) return commands::invalidArgument("the form body has a malformed %-escape");
  bool haveToken = false;
  for (auto& [name, value] : *fields) {
    if (name == "token") {
      if (haveToken) return commands::invalidArgument("token appears twice", "token");
      haveToken = true;
      in->token = std::move(value);
    } else if (name == "required_scope") {
      if (in->requiredScope) {
        return commands::invalidArgument("required_scope appears twice", "required_scope");
      }
      in->requiredScope = std::move(value);
    }
  }
  if (!haveToken) return commands::invalidArgument("field 'token' is required", "token");
  return std::nullopt;
}

}  // namespace

Reply Handlers::scopes(Call&) {
  Reply reply;
  reply.body = renderer_.scopes(engine_.catalogue().scopes());
  return reply;
}

Reply Handlers::introspect(Call& call) {
  IntrospectInput in;
  if (call.contentType == kFormType) {
    if (auto e = readForm(call.body, &in)) return errorReply(e->code, e->message, e->field);
  } else if (auto plain = parsePlainIntrospectRequest(call.body)) {
    in.token = plain->token;
    if (plain->requiredScope) in.requiredScope.emplace(*plain->requiredScope);
  } else {
    capnp::MallocMessageBuilder m;
    auto body = m.initRoot<api::IntrospectRequest>();
    if (auto e = decodeJsonBody<api::IntrospectRequest>(renderer_.strictCodec(), call.body,
                                                        {"token"}, body)) {
      return errorReply(e->code, e->message, e->field);
    }
    in.token.assign(body.getToken().cStr(), body.getToken().size());
    if (body.hasRequiredScope()) {
      in.requiredScope.emplace(body.getRequiredScope().cStr(), body.getRequiredScope().size());
    }
  }
  auto verification = in.requiredScope ? engine_.verify(in.token, *in.requiredScope)
                                        : engine_.verify(in.token);
  metrics_.recordIntrospection(!verification.active ? IntrospectionOutcome::inactive
                               : verification.allowed.value_or(true)
                                   ? IntrospectionOutcome::active
                                   : IntrospectionOutcome::scopeDenied);
  Reply reply;
  reply.body = renderer_.introspection(verification);
  return reply;
}

// Still 200 while the storage is not writable: introspection, the hot path, answers from memory,
// so a load balancer should keep sending it traffic; the body says that commands cannot be
// written (pitlog_storage_writable says it to monitoring).
Reply Handlers::health(Call&) {
  Reply reply;
  // A port whose accepts fail (no descriptor left) is retried by itself, but until it accepts
  // again clients are turned away: 503, naming it, so that a balancer or supervisor sees it.
  const auto stalled = metrics_.listenersNotAccepting();
  if (!stalled.empty()) {
    reply.status = 503;
    reply.body = R"({"status":"degraded","listener":")" + stalled.front() + R"(","accepting":false})";
    return reply;
  }
  if (cluster_ != nullptr) {
    const auto status = cluster_->status();
    const ClusterHealthInfo info{cluster_->nodeName(), cluster_->position(), status.lagMs,
                                 status.connected};
    // Not fresh: introspection and mutations answer 503 here, so a balancer should send their
    // traffic to another node.
    if (auto reason = cluster_->failClosedReason()) {
      reply.status = 503;
      reply.body = renderer_.health("unavailable", *reason, info);
      return reply;
    }
    const bool writable = engine_.storageHealth().writable;
    reply.body = renderer_.health(writable ? "ok" : "degraded",
                                  writable ? "" : "storage unwritable", info);
    return reply;
  }
  if (engine_.storageHealth().writable) {
    reply.body = renderer_.health();
  } else {
    reply.body = R"({"status":"degraded","storage":"unwritable"})";
  }
  return reply;
}

Reply Handlers::metricsPage(Call&) {
  Reply reply;
  reply.contentType = "text/plain; version=0.0.4; charset=utf-8";
  const auto storage = engine_.storageHealth();
  MetricsGauges gauges{engine_.tokenCount(), engine_.lastSeq(), storage.writable,
                       storage.failures, std::nullopt};
  if (cluster_ != nullptr) {
    const auto status = cluster_->status();
    gauges.cluster = ClusterGauges{cluster_->nodeName(), cluster_->position(),
                                   static_cast<double>(status.lagMs) / 1000, status.connected};
  }
  if (webhooks_.attempts) gauges.webhooks = webhooks_.attempts();
  const auto memory = engine_.store().memoryUsage();
  gauges.storageMemory = {memory.budget, memory.cache, memory.memtables, memory.tableReaders};
  reply.body = metrics_.render(gauges);
  return reply;
}

}  // namespace pitlog::server::http
