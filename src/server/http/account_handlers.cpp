// The account-wide routes: /v1/accounts/{a}/audit and /v1/accounts/{a}/users/{u}/permission.
#include <capnp/message.h>

#include "commands/validate.h"
#include "server/api.capnp.h"
#include "server/http/handlers.h"
#include "server/http/json_body.h"
#include "server/http/query_params.h"

namespace pitlog::server::http {

using commands::Code;
using commands::CommandResult;

Reply Handlers::audit(Call& call) {
  commands::AuditQuery query;
  std::optional<uint64_t> after, limit;
  if (auto e = readUint(call, "after", 0, kAnyUint, &after)) {
    return errorReply(e->code, e->message, e->field);
  }
  if (auto e = readUint(call, "limit", 0, kAnyUint, &limit)) {
    return errorReply(e->code, e->message, e->field);
  }
  if (auto e = readTime(call, "since", &query.since)) return errorReply(e->code, e->message, e->field);
  if (auto e = readTime(call, "until", &query.until)) return errorReply(e->code, e->message, e->field);
  query.after = after.value_or(0);
  query.limit = limit.value_or(commands::kDefaultAuditLimit);
  if (auto e = commands::validate(query)) return errorReply(e->code, e->message, e->field);
  if (auto denied = requireManager(call)) return std::move(*denied);
  auto page = engine_.audit(call.match.account, query.after, query.limit, query.since,
                            query.until);
  Reply reply;
  reply.body = renderer_.auditPage(page);
  return reply;
}

Reply Handlers::getPermission(Call& call) {
  if (call.actor.role != events::Role::admin) {
    return errorReply(Code::permissionDenied, "only an admin may read permissions");
  }
  auto info = engine_.permission(call.match.account, call.match.user);
  Reply reply;
  reply.body = renderer_.permissionState(call.match.user, info.recorded);
  reply.header("ETag", "\"" + std::to_string(info.version) + "\"");
  return reply;
}

kj::Promise<Reply> Handlers::setPermission(Call& call) {
  capnp::MallocMessageBuilder m;
  auto body = m.initRoot<api::PermissionRequest>();
  if (auto e = decodeJsonBody<api::PermissionRequest>(renderer_.strictCodec(), call.body,
                                                      {"allowed"}, body)) {
    return errorReply(e->code, e->message, e->field);
  }
  return execute(call, commands::SetPermission{call.match.user, body.getAllowed()},
                 [this](CommandResult& r) {
                   Reply reply;
                   reply.body = renderer_.permissionSet(r.userId, r.allowed.value_or(false));
                   return reply;
                 });
}

}  // namespace pitlog::server::http
