// The /v1/accounts/{a}/integrations... routes.
#include <capnp/message.h>
#include <kj/debug.h>

#include "commands/validate.h"
#include "events/time_format.h"
#include "server/api.capnp.h"
#include "server/http/handlers.h"
#include "server/http/json_body.h"
#include "server/http/query_params.h"

namespace pitlog::server::http {

using commands::Code;
using commands::CommandResult;

namespace {

std::string textOf(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }

std::vector<std::string> listOf(capnp::List<capnp::Text>::Reader list) {
  std::vector<std::string> out;
  out.reserve(list.size());
  for (auto s : list) out.push_back(textOf(s));
  return out;
}

// A route that takes no body accepts an empty one or `{}` (some clients always send JSON).
std::optional<commands::Error> checkEmptyBody(const Renderer& renderer, const Call& call) {
  if (call.body.empty()) return std::nullopt;
  capnp::MallocMessageBuilder m;
  return decodeJsonBody<api::EmptyRequest>(renderer.strictCodec(), call.body, {},
                                           m.initRoot<api::EmptyRequest>());
}

// Every successful command on an integration carries the view it left; a missing one is a bug,
// answered 500 by the service's catch.
const projections::IntegrationView& viewOf(const CommandResult& r) {
  KJ_ASSERT(r.integration.has_value(), "a successful integration command returned no view");
  return *r.integration;
}

std::string location(const Call& call, const std::string& id) {
  return "/v1/accounts/" + call.match.account + "/integrations/" + id;
}

}  // namespace

kj::Promise<Reply> Handlers::createIntegration(Call& call) {
  capnp::MallocMessageBuilder m;
  auto body = m.initRoot<api::CreateRequest>();
  if (auto e = decodeJsonBody<api::CreateRequest>(renderer_.strictCodec(), call.body,
                                                  {"name", "scopes"}, body)) {
    return errorReply(e->code, e->message, e->field);
  }
  commands::CreateIntegration c{textOf(body.getName()), textOf(body.getDescription()),
                                listOf(body.getScopes())};
  return execute(call, std::move(c), [this, &call](CommandResult& r) {
    Reply reply;
    reply.status = 201;
    reply.body = renderer_.integrationWithToken(viewOf(r), r.token, engine_.now());
    reply.header("Location", location(call, viewOf(r).id));
    return reply;
  });
}

kj::Promise<Reply> Handlers::editIntegration(Call& call) {
  capnp::MallocMessageBuilder m;
  auto body = m.initRoot<api::EditRequest>();
  if (auto e = decodeJsonBody<api::EditRequest>(renderer_.strictCodec(), call.body, {}, body)) {
    return errorReply(e->code, e->message, e->field);
  }
  commands::EditIntegration c;
  c.integrationId = call.match.integration;
  if (body.hasName()) c.name = textOf(body.getName());
  if (body.hasDescription()) c.description = textOf(body.getDescription());
  if (body.hasScopes()) c.scopes = listOf(body.getScopes());
  return execute(call, std::move(c), [this](CommandResult& r) {
    Reply reply;
    reply.body = renderer_.integration(viewOf(r), engine_.now());
    return reply;
  });
}

kj::Promise<Reply> Handlers::rotate(Call& call) {
  capnp::MallocMessageBuilder m;
  auto body = m.initRoot<api::RotateRequest>();
  if (auto e = decodeJsonBody<api::RotateRequest>(renderer_.strictCodec(), call.body, {"expire"},
                                                  body)) {
    return errorReply(e->code, e->message, e->field);
  }
  commands::RotateToken c;
  c.integrationId = call.match.integration;
  const std::string expire = textOf(body.getExpire());
  if (expire == "later") {
    c.expire = commands::ExpireMode::later;
  } else if (expire == "now") {
    c.expire = commands::ExpireMode::now;
  } else {
    return errorReply(Code::invalidArgument, "expire must be \"later\" or \"now\"", "expire");
  }
  return execute(call, std::move(c), [this](CommandResult& r) {
    Reply reply;
    reply.body = renderer_.integrationWithToken(viewOf(r), r.token, engine_.now());
    return reply;
  });
}

kj::Promise<Reply> Handlers::cancelRotation(Call& call) {
  if (auto e = checkEmptyBody(renderer_, call)) return errorReply(e->code, e->message, e->field);
  return execute(call, commands::CancelRotation{call.match.integration}, [this](CommandResult& r) {
    Reply reply;
    reply.body = renderer_.integration(viewOf(r), engine_.now());
    return reply;
  });
}

kj::Promise<Reply> Handlers::expireRotationNow(Call& call) {
  if (auto e = checkEmptyBody(renderer_, call)) return errorReply(e->code, e->message, e->field);
  return execute(call, commands::ExpireRotationNow{call.match.integration},
                 [this](CommandResult& r) {
                   Reply reply;
                   reply.body = renderer_.integration(viewOf(r), engine_.now());
                   return reply;
                 });
}

kj::Promise<Reply> Handlers::deleteIntegration(Call& call) {
  if (auto e = checkEmptyBody(renderer_, call)) return errorReply(e->code, e->message, e->field);
  return execute(call, commands::DeleteIntegration{call.match.integration}, [](CommandResult&) {
    Reply reply;
    reply.status = 204;
    return reply;
  });
}

Reply Handlers::listIntegrations(Call& call) {
  commands::ListQuery query;
  if (auto e = readBool(call, "includeDeleted", &query.includeDeleted)) {
    return errorReply(e->code, e->message, e->field);
  }
  if (auto e = readUint(call, "staleAfterDays", 0, kAnyUint, &query.staleAfterDays)) {
    return errorReply(e->code, e->message, e->field);
  }
  if (auto e = readUint(call, "unusedForDays", 0, kAnyUint, &query.unusedForDays)) {
    return errorReply(e->code, e->message, e->field);
  }
  if (auto e = commands::validate(query)) return errorReply(e->code, e->message, e->field);
  if (auto denied = requireManager(call)) return std::move(*denied);
  const auto now = engine_.now();
  auto views = engine_.integrations(call.match.account, query.includeDeleted);
  if (query.staleAfterDays) commands::keepStale(views, now, *query.staleAfterDays);
  if (query.unusedForDays) {
    commands::keepUnused(views, now, *query.unusedForDays,
                         [this](const events::Digest& d) { return engine_.lastUsed(d); });
  }
  Reply reply;
  reply.body = renderer_.integrationList(views, now);
  return reply;
}

Reply Handlers::getIntegration(Call& call) {
  std::optional<events::UnixMillis> asOf;
  if (auto e = readTime(call, "asOf", &asOf)) return errorReply(e->code, e->message, e->field);
  if (auto denied = requireManager(call)) return std::move(*denied);
  const auto& id = call.match.integration;
  auto view = asOf ? engine_.integrationAsOf(call.match.account, id, *asOf)
                   : engine_.integration(call.match.account, id);
  if (!view) {
    return errorReply(Code::notFound, asOf ? "integration '" + id + "' did not exist at " +
                                                 events::formatRfc3339(*asOf)
                                           : "integration '" + id + "' was not found");
  }
  Reply reply;
  reply.body = renderer_.integration(*view, asOf.value_or(engine_.now()));
  // The current version, for a later If-Match; a view of the past has none to offer.
  if (!asOf) reply.header("ETag", "\"" + std::to_string(view->version) + "\"");
  return reply;
}

Reply Handlers::integrationEvents(Call& call) {
  if (auto denied = requireManager(call)) return std::move(*denied);
  auto events = engine_.integrationEvents(call.match.account, call.match.integration);
  if (events.empty()) {
    return errorReply(Code::notFound,
                      "integration '" + call.match.integration + "' was not found");
  }
  Reply reply;
  reply.body = renderer_.eventList(events);
  return reply;
}

}  // namespace pitlog::server::http
