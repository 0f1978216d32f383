#include "server/rpc/session.h"

#include <kj/debug.h>

#include <algorithm>

#include "commands/revocation.h"
#include "commands/validate.h"
#include "server/engine_bridge.h"
#include "server/rpc/wire.h"

namespace pitlog::rpc {

using server::submitAsync;

using commands::Code;
using commands::Command;
using commands::CommandResult;
using commands::Error;
using commands::invalidArgument;
using events::UnixMillis;

namespace {

std::string_view view(capnp::Text::Reader t) { return {t.begin(), t.size()}; }

// Runs a handler once its parameters have the form every call needs (checkParams: size, then a
// well-formed message, answered payload_too_large or invalid_argument). An exception the handler
// throws after that (an I/O failure, a broken invariant) is pitd's fault: logged and answered as
// `internal`, never passed to the client as an RPC exception with internals in it. Results whose
// union has `error` only.
template <typename Context, typename Handler>
kj::Promise<void> guarded(Context context, Handler handler) {
  if (auto e = checkParams(context.getParams())) {
    setError(context.getResults().initResult().initError(), *e);
    return kj::READY_NOW;
  }
  return kj::evalNow([&]() mutable { return handler(context); })
      .catch_([context](kj::Exception&& e) mutable {
        KJ_LOG(ERROR, "pitlog RPC call failed", e);
        setError(context.getResults().initResult().initError(), Code::internal,
                 "internal error; see pitd's log");
      });
}

template <typename Context>
kj::Promise<void> refuse(Context& context, const Error& error) {
  setError(context.getResults().initResult().initError(), error);
  return kj::READY_NOW;
}

Error mayNotManage(const Command& c) {
  return {Code::permissionDenied,
          "user '" + c.actor.userId + "' may not manage the integrations of account '" +
              c.accountId + "'",
          {}};
}

// A rule's error with its field named as this schema names it.
Error renamed(Error e) {
  e.field = rpcFieldName(e.field);
  return e;
}

Error integrationNotFound(capnp::Text::Reader id) {
  return {Code::notFound, "integration '" + std::string(view(id)) + "' was not found", {}};
}

// The form every mutation shares (after guarded()'s checkParams): actor, options.
template <typename Params>
std::optional<Error> readMutation(Params p, Command& c) {
  if (auto e = readActor(p.getActor(), c)) return e;
  return readOptions(p.getOptions(), c);
}

// The form every query shares: the actor.
template <typename Params>
std::optional<Error> readQuery(Params p, Command& c) {
  return readActor(p.getActor(), c);
}

std::optional<Error> readOptionalText(schema::OptionalText::Reader in, std::string_view field,
                                      std::optional<std::string>* out) {
  switch (in.which()) {
    case schema::OptionalText::NONE: return std::nullopt;
    case schema::OptionalText::VALUE: *out = std::string(view(in.getValue())); return std::nullopt;
  }
  return invalidArgument(std::string(field) + " is neither none nor a value", std::string(field));
}

std::optional<Error> readOptionalScopes(schema::OptionalScopes::Reader in,
                                        std::optional<std::vector<std::string>>* out) {
  switch (in.which()) {
    case schema::OptionalScopes::NONE: return std::nullopt;
    case schema::OptionalScopes::VALUE: {
      std::vector<std::string> scopes;
      for (auto s : in.getValue()) scopes.emplace_back(view(s));
      *out = std::move(scopes);
      return std::nullopt;
    }
  }
  return invalidArgument("scopes is neither none nor a value", "scopes");
}

void answerIntegration(schema::IntegrationResult::Builder out, CommandResult& r,
                       const commands::Engine& engine) {
  const UnixMillis now = engine.now();
  if (!r.ok()) {
    setError(out.initError(), errorOf(r));
  } else {
    KJ_ASSERT(r.integration.has_value(), "a command on an integration answered without one");
    auto ok = out.initOk();
    fillIntegration(ok.initIntegration(), *r.integration, now,
                    [&engine](const events::Digest& d) { return engine.lastUsed(d); });
    // API.md: the plaintext only in the first answer; a replay shows none.
    if (r.token && !r.replayed) ok.setToken(*r.token);
    ok.setReplayed(r.replayed);
  }
  if (r.token) wipe(*r.token);
}

// Submits a command whose answer is an IntegrationResult.
template <typename Context>
kj::Promise<void> submitForIntegration(commands::Engine& engine, Context context, Command c) {
  return submitAsync(engine, std::move(c)).then([&engine, context](CommandResult r) mutable {
    answerIntegration(context.getResults().initResult(), r, engine);
  });
}

// The command on an existing integration that options and an id describe, for rotate, cancel,
// expire-now and delete.
template <typename Params>
std::optional<Error> readTargetCommand(Params p, Command& c) {
  if (auto e = readMutation(p, c)) return e;
  return checkId(p.getIntegrationId(), "integrationId");
}

// The commands that name an integration and nothing else, answered with the integration.
template <typename Action, typename Context, typename Gate>
kj::Promise<void> targetOnlyCommand(commands::Engine& engine, Context context, Gate gate) {
  return guarded(context, [&engine, gate](Context context) -> kj::Promise<void> {
    auto p = context.getParams();
    Command c;
    if (auto e = readTargetCommand(p, c)) return refuse(context, *e);
    if (auto e = gate()) return refuse(context, *e);
    std::string id(view(p.getIntegrationId()));
    c.action = Action{std::move(id)};
    return submitForIntegration(engine, context, std::move(c));
  });
}

}  // namespace

// --- Gateway ------------------------------------------------------------------------------------

kj::Promise<void> GatewayImpl::login(LoginContext context) {
  auto key = context.getParams().getServiceKey();
  auto result = context.getResults().initResult();
  if (key.size() == 0) {
    setError(result.initError(), Code::unauthenticated, "a service key is required",
             "serviceKey");
  } else if (!(*authenticate_)(view(key))) {
    setError(result.initError(), Code::unauthenticated, "the service key is not valid",
             "serviceKey");
  } else {
    result.setSession(kj::heap<SessionImpl>(engine_, failClosed_));
  }
  return kj::READY_NOW;
}

// --- Session: commands --------------------------------------------------------------------------

std::optional<Error> SessionImpl::unavailableWhileStale() const {
  if (!failClosed_) return std::nullopt;
  if (auto reason = failClosed_()) return Error{Code::unavailable, *reason, {}};
  return std::nullopt;
}

kj::Promise<void> SessionImpl::create(CreateContext context) {
  return guarded(context, [this](CreateContext context) -> kj::Promise<void> {
    auto p = context.getParams();
    Command c;
    if (auto e = readActor(p.getActor(), c)) return refuse(context, *e);
    if (auto e = readOptions(p.getOptions(), c)) return refuse(context, *e);
    commands::CreateIntegration a;
    a.name = view(p.getName());
    a.description = view(p.getDescription());
    for (auto s : p.getScopes()) a.scopes.emplace_back(view(s));
    c.action = std::move(a);
    if (auto e = unavailableWhileStale()) return refuse(context, *e);
    return submitForIntegration(engine_, context, std::move(c));
  });
}

kj::Promise<void> SessionImpl::edit(EditContext context) {
  return guarded(context, [this](EditContext context) -> kj::Promise<void> {
    auto p = context.getParams();
    Command c;
    if (auto e = readTargetCommand(p, c)) return refuse(context, *e);
    commands::EditIntegration a;
    a.integrationId = view(p.getIntegrationId());
    if (auto e = readOptionalText(p.getName(), "name", &a.name)) return refuse(context, *e);
    if (auto e = readOptionalText(p.getDescription(), "description", &a.description)) {
      return refuse(context, *e);
    }
    if (auto e = readOptionalScopes(p.getScopes(), &a.scopes)) return refuse(context, *e);
    c.action = std::move(a);
    if (auto e = unavailableWhileStale()) return refuse(context, *e);
    return submitForIntegration(engine_, context, std::move(c));
  });
}

kj::Promise<void> SessionImpl::rotate(RotateContext context) {
  return guarded(context, [this](RotateContext context) -> kj::Promise<void> {
    auto p = context.getParams();
    Command c;
    if (auto e = readTargetCommand(p, c)) return refuse(context, *e);
    commands::RotateToken a;
    a.integrationId = view(p.getIntegrationId());
    switch (p.getExpire()) {
      case schema::Expire::LATER: a.expire = commands::ExpireMode::later; break;
      case schema::Expire::NOW: a.expire = commands::ExpireMode::now; break;
      default:
        return refuse(context, invalidArgument("expire must be later or now", "expire"));
    }
    c.action = std::move(a);
    if (auto e = unavailableWhileStale()) return refuse(context, *e);
    return submitForIntegration(engine_, context, std::move(c));
  });
}

kj::Promise<void> SessionImpl::cancelRotation(CancelRotationContext context) {
  return targetOnlyCommand<commands::CancelRotation>(engine_, context,
                                                     [this] { return unavailableWhileStale(); });
}

kj::Promise<void> SessionImpl::expireNow(ExpireNowContext context) {
  return targetOnlyCommand<commands::ExpireRotationNow>(engine_, context,
                                                        [this] { return unavailableWhileStale(); });
}

kj::Promise<void> SessionImpl::delete_(DeleteContext context) {
  return guarded(context, [this](DeleteContext context) -> kj::Promise<void> {
    auto p = context.getParams();
    Command c;
    if (auto e = readTargetCommand(p, c)) return refuse(context, *e);
    std::string id(view(p.getIntegrationId()));
    c.action = commands::DeleteIntegration{std::move(id)};
    if (auto e = unavailableWhileStale()) return refuse(context, *e);
    return submitAsync(engine_, std::move(c)).then([context](CommandResult r) mutable {
      auto out = context.getResults().initResult();
      if (!r.ok()) {
        setError(out.initError(), errorOf(r));
        return;
      }
      auto ok = out.initOk();
      ok.setVersion(r.version);
      ok.setReplayed(r.replayed);
    });
  });
}

kj::Promise<void> SessionImpl::setPermission(SetPermissionContext context) {
  return guarded(context, [this](SetPermissionContext context) -> kj::Promise<void> {
    auto p = context.getParams();
    Command c;
    if (auto e = readMutation(p, c)) return refuse(context, *e);
    if (auto e = checkId(p.getUserId(), "userId")) return refuse(context, *e);
    std::string user(view(p.getUserId()));
    c.action = commands::SetPermission{std::move(user), p.getAllowed()};
    if (auto e = unavailableWhileStale()) return refuse(context, *e);
    return submitAsync(engine_, std::move(c)).then([context](CommandResult r) mutable {
      auto out = context.getResults().initResult();
      if (!r.ok()) {
        setError(out.initError(), errorOf(r));
        return;
      }
      auto ok = out.initOk();
      ok.setUserId(r.userId);
      ok.setAllowed(r.allowed.value_or(false));
      ok.setVersion(r.version);
      ok.setReplayed(r.replayed);
    });
  });
}

kj::Promise<void> SessionImpl::revoke(RevokeContext context) {
  return guarded(context, [this](RevokeContext context) -> kj::Promise<void> {
    auto p = context.getParams();
    std::optional<std::string> source;
    if (auto e = readOptionalText(p.getSource(), "source", &source)) return refuse(context, *e);
    std::vector<std::string_view> tokens;
    tokens.reserve(p.getTokens().size());
    for (auto t : p.getTokens()) tokens.push_back(view(t));
    auto command =
        commands::revocationCommand(tokens, std::move(source), std::string(view(p.getRequestId())));
    if (auto* e = std::get_if<Error>(&command)) return refuse(context, renamed(*e));
    if (auto e = unavailableWhileStale()) return refuse(context, *e);
    const uint32_t received = p.getTokens().size();
    return submitAsync(engine_, std::move(std::get<Command>(command)))
        .then([context, received](CommandResult r) mutable {
          auto out = context.getResults().initResult();
          if (!r.ok()) {
            setError(out.initError(), errorOf(r));
            return;
          }
          out.setReceived(received);
        });
  });
}

// --- Session: queries ---------------------------------------------------------------------------

kj::Promise<void> SessionImpl::list(ListContext context) {
  return guarded(context, [this](ListContext context) -> kj::Promise<void> {
    auto p = context.getParams();
    Command c;
    if (auto e = readQuery(p, c)) return refuse(context, *e);
    commands::ListQuery query;
    query.includeDeleted = p.getIncludeDeleted();
    switch (p.getStaleAfter().which()) {
      case schema::StaleAfter::NONE: break;
      case schema::StaleAfter::DAYS: query.staleAfterDays = p.getStaleAfter().getDays(); break;
      default:
        return refuse(context,
                      invalidArgument("staleAfter is neither none nor days", "staleAfter"));
    }
    if (auto e = commands::validate(query)) return refuse(context, renamed(*e));
    if (!engine_.mayManage(c.actor, c.accountId)) return refuse(context, mayNotManage(c));

    const UnixMillis now = engine_.now();
    auto views = engine_.integrations(c.accountId, query.includeDeleted);
    if (query.staleAfterDays) commands::keepStale(views, now, *query.staleAfterDays);
    auto out = context.getResults().initResult().initIntegrations(views.size());
    const auto lastUsed = lastUseLookup();
    for (size_t i = 0; i < views.size(); ++i) fillIntegration(out[i], views[i], now, lastUsed);
    return kj::READY_NOW;
  });
}

kj::Promise<void> SessionImpl::get(GetContext context) {
  return guarded(context, [this](GetContext context) -> kj::Promise<void> {
    auto p = context.getParams();
    Command c;
    if (auto e = readQuery(p, c)) return refuse(context, *e);
    if (auto e = checkId(p.getIntegrationId(), "integrationId")) return refuse(context, *e);
    std::optional<UnixMillis> asOf;
    if (auto e = readTime(p.getAsOf(), "asOf", &asOf)) return refuse(context, *e);
    if (!engine_.mayManage(c.actor, c.accountId)) return refuse(context, mayNotManage(c));

    auto id = view(p.getIntegrationId());
    auto v = asOf ? engine_.integrationAsOf(c.accountId, id, *asOf)
                  : engine_.integration(c.accountId, id);
    if (!v) return refuse(context, integrationNotFound(p.getIntegrationId()));
    auto ok = context.getResults().initResult().initOk();
    fillIntegration(ok.initIntegration(), *v, asOf.value_or(engine_.now()), lastUseLookup());
    return kj::READY_NOW;
  });
}

kj::Promise<void> SessionImpl::events(EventsContext context) {
  return guarded(context, [this](EventsContext context) -> kj::Promise<void> {
    auto p = context.getParams();
    Command c;
    if (auto e = readQuery(p, c)) return refuse(context, *e);
    if (auto e = checkId(p.getIntegrationId(), "integrationId")) return refuse(context, *e);
    if (!engine_.mayManage(c.actor, c.accountId)) return refuse(context, mayNotManage(c));

    auto history = engine_.integrationEvents(c.accountId, view(p.getIntegrationId()));
    if (history.empty()) return refuse(context, integrationNotFound(p.getIntegrationId()));
    auto out = context.getResults().initResult().initEvents(history.size());
    for (size_t i = 0; i < history.size(); ++i) fillEvent(out[i], history[i]);
    return kj::READY_NOW;
  });
}

kj::Promise<void> SessionImpl::audit(AuditContext context) {
  return guarded(context, [this](AuditContext context) -> kj::Promise<void> {
    auto p = context.getParams();
    Command c;
    if (auto e = readQuery(p, c)) return refuse(context, *e);
    commands::AuditQuery query;
    query.after = p.getAfter();
    query.limit = p.getLimit();
    if (auto e = readTime(p.getSince(), "since", &query.since)) return refuse(context, *e);
    if (auto e = readTime(p.getUntil(), "until", &query.until)) return refuse(context, *e);
    if (auto e = commands::validate(query)) return refuse(context, *e);
    if (!engine_.mayManage(c.actor, c.accountId)) return refuse(context, mayNotManage(c));

    auto page = engine_.audit(c.accountId, query.after, query.limit, query.since, query.until);
    auto ok = context.getResults().initResult().initOk();
    auto out = ok.initEvents(page.events.size());
    for (size_t i = 0; i < page.events.size(); ++i) fillEvent(out[i], page.events[i]);
    if (page.next) {
      ok.getNext().setAfter(*page.next);
    } else {
      ok.getNext().setNone();
    }
    return kj::READY_NOW;
  });
}

kj::Promise<void> SessionImpl::getPermission(GetPermissionContext context) {
  return guarded(context, [this](GetPermissionContext context) -> kj::Promise<void> {
    auto p = context.getParams();
    Command c;
    if (auto e = readQuery(p, c)) return refuse(context, *e);
    if (auto e = checkId(p.getUserId(), "userId")) return refuse(context, *e);
    if (c.actor.role != events::Role::admin) {
      return refuse(context, Error{Code::permissionDenied,
                                   "only an admin may read or change permissions", {}});
    }
    auto info = engine_.permission(c.accountId, view(p.getUserId()));
    auto out = context.getResults().initResult().initPermission();
    out.setUserId(p.getUserId());
    out.setVersion(info.version);
    if (!info.recorded) {
      out.setSource(schema::Permission::Source::DEFAULT);
      out.getAllowed().setRoleDecides();
    } else {
      out.setSource(*info.recorded ? schema::Permission::Source::GRANT
                                   : schema::Permission::Source::WITHDRAWAL);
      out.getAllowed().setValue(*info.recorded);
    }
    return kj::READY_NOW;
  });
}

kj::Promise<void> SessionImpl::scopes(ScopesContext context) {
  // It takes no parameters and reads none: nothing a client sends can make it fail.
  const auto& catalogue = engine_.catalogue().scopes();
  auto out = context.getResults().initScopes(catalogue.size());
  for (size_t i = 0; i < catalogue.size(); ++i) out.set(i, catalogue[i]);
  return kj::READY_NOW;
}

kj::Promise<void> SessionImpl::introspect(IntrospectContext context) {
  auto out = context.getResults().initResult();
  // A malformed message is refused like any other call's, with `active` false.
  if (auto e = checkParams(context.getParams())) {
    out.setActive(false);
    setError(out.initError(), *e);
    return kj::READY_NOW;
  }
  if (auto e = unavailableWhileStale()) {
    out.setActive(false);
    setError(out.initError(), *e);
    return kj::READY_NOW;
  }
  auto p = context.getParams();
  std::optional<std::string_view> required;
  if (p.getRequiredScope().isValue()) required = view(p.getRequiredScope().getValue());
  auto v = engine_.verify(view(p.getToken()), required);
  out.setActive(v.active);
  if (!v.active) return kj::READY_NOW;  // exactly {active: false}
  out.setScope(v.grant->scopeText());
  out.setTokenType("pit");
  out.setAccountId(v.grant->accountId());
  const auto integrationId = v.grant->integrationId();
  out.setIntegrationId(capnp::Text::Reader(integrationId.data(), integrationId.size()));
  // RFC 7662: seconds since the epoch.
  out.setIat(v.issuedAt / 1000);
  if (v.expiresAt) out.getExp().setAt(*v.expiresAt / 1000);
  if (v.allowed) out.getAllowed().setValue(*v.allowed);
  return kj::READY_NOW;
}

}  // namespace pitlog::rpc
