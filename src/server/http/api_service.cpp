#include "server/http/api_service.h"

#include <algorithm>
#include <cstdio>
#include <strings.h>

#include "commands/validate.h"
#include "events/digest.h"
#include "server/http/parsing.h"
#include "server/log.h"

namespace pitlog::server::http {

using commands::Code;
using kj::HttpMethod;

struct ApiService::Exchange {
  Request request;
  Call call;
  AccessContext access;
  std::chrono::steady_clock::time_point started;
  bool requestIdValid = true;
  // Decided once, from the matched route (router.h's needsServiceKey): an open route needs no
  // key, keeps its answers cacheable and ignores unknown query parameters.
  bool openRoute = false;
  // The body, when authentication had to read it for form credentials (client_secret).
  std::optional<std::string> bodyReadEarly;
  // The actor of the console session that authenticated the request, when one did.
  std::optional<events::Actor> sessionActor;
  // A console route: its answer carries the console's security headers.
  bool consoleRoute = false;
  // X-Pitlog-Min-Position, on a route that honours it (any GET, introspection).
  std::optional<uint64_t> minPosition;
};

namespace {

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kForm = "application/x-www-form-urlencoded";

// Whether a body could hold form credentials that are worth reading before authentication: a
// form in UTF-8, of a size pitd accepts, framed in one way only. Any other request holds none.
bool mayCarryFormCredentials(const Request& req) {
  if (req.method == HttpMethod::GET || req.contentLengthMalformed || req.twoFramings) return false;
  if (req.contentLength && (*req.contentLength == 0 || *req.contentLength > kMaxBodyBytes)) {
    return false;
  }
  auto media = req.contentType ? parseMediaType(*req.contentType) : std::nullopt;
  return media && media->type == kForm && (!media->charset || *media->charset == "utf-8");
}

kj::StringPtr statusText(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 503: return "Service Unavailable";
    default: return "Internal Server Error";
  }
}

int64_t wallClockMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Reads at most `limit` + 1 bytes: one more than allowed tells "too large" without reading on.
kj::Promise<std::string> readLimited(kj::AsyncInputStream& in, size_t limit) {
  auto buffer = kj::heapArray<char>(limit + 1);
  auto promise = in.tryRead(buffer.begin(), buffer.size(), buffer.size());
  return promise.then([buffer = kj::mv(buffer)](size_t n) {
    return std::string(buffer.begin(), n);
  });
}

}  // namespace

ApiService::ApiService(commands::Engine& engine, const SharedServiceKeys& keys, Metrics& metrics,
                       kj::Maybe<kj::Timer&> timer)
    : engine_(engine),
      keys_(keys),
      metrics_(metrics),
      timer_(timer),
      handlers_(engine, renderer_, metrics),
      sessions_(wallClockMillis),
      console_(engine, sessions_, handlers_) {
  renderer_.setLastUseLookup([&engine](const events::Digest& d) { return engine.lastUsed(d); });
  kj::HttpHeaderTable::Builder builder;
  ids_.authorization = builder.add("Authorization");
  ids_.actorUser = builder.add("X-Actor-User");
  ids_.actorRole = builder.add("X-Actor-Role");
  ids_.requestId = builder.add("X-Request-Id");
  ids_.ifMatch = builder.add("If-Match");
  ids_.etag = builder.add("ETag");
  ids_.allow = builder.add("Allow");
  ids_.wwwAuthenticate = builder.add("WWW-Authenticate");
  ids_.cacheControl = builder.add("Cache-Control");
  ids_.idempotentReplayed = builder.add("Idempotent-Replayed");
  ids_.location = builder.add("Location");
  ids_.cookie = builder.add("Cookie");
  ids_.consoleHeader = builder.add("X-Pitlog-Console");
  ids_.ifNoneMatch = builder.add("If-None-Match");
  table_ = builder.build();
  KJ_IF_MAYBE(t, timer_) {
    waiters_.emplace([&engine]() { return engine.lastSeq(); }, *t);
  }
}

kj::Promise<void> ApiService::request(HttpMethod method, kj::StringPtr url,
                                      const kj::HttpHeaders& headers,
                                      kj::AsyncInputStream& requestBody, Response& response) {
  auto x = kj::heap<Exchange>();
  x->started = std::chrono::steady_clock::now();
  // kj invalidates url and headers at the first body read: copy what pitd reads.
  Request& req = x->request;
  req.method = method;
  std::string_view target(url.cStr(), url.size());
  const size_t q = target.find('?');
  req.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
  auto copy = [&](kj::HttpHeaderId id) -> std::optional<std::string> {
    KJ_IF_MAYBE(v, headers.get(id)) { return std::string(v->cStr(), v->size()); }
    return std::nullopt;
  };
  req.authorization = copy(ids_.authorization);
  req.actorUser = copy(ids_.actorUser);
  req.actorRole = copy(ids_.actorRole);
  req.requestId = copy(ids_.requestId);
  req.ifMatch = copy(ids_.ifMatch);
  req.cookie = copy(ids_.cookie);
  req.ifNoneMatch = copy(ids_.ifNoneMatch);
  req.consoleHeader = copy(ids_.consoleHeader) == std::optional<std::string>("1");
  // kj reads an indexed header's empty value as no header at all, so Idempotency-Key and
  // X-Pitlog-Min-Position stay out of the table and are found among the others: a present but
  // empty one is then seen (400), and one sent twice is joined into a list that is refused.
  headers.forEach([&](kj::StringPtr name, kj::StringPtr value) {
    if (!req.idempotencyKey && strcasecmp(name.cStr(), "Idempotency-Key") == 0) {
      req.idempotencyKey = std::string(value.cStr(), value.size());
    } else if (strcasecmp(name.cStr(), "X-Pitlog-Min-Position") == 0) {
      req.minPosition = req.minPosition ? *req.minPosition + "," + value.cStr()
                                        : std::string(value.cStr(), value.size());
    }
  });
  req.contentType = copy(kj::HttpHeaderId::CONTENT_TYPE);
  KJ_IF_MAYBE(length, requestBody.tryGetLength()) { req.contentLength = *length; }
  KJ_IF_MAYBE(text, headers.get(kj::HttpHeaderId::CONTENT_LENGTH)) {
    req.contentLengthMalformed =
        text->size() == 0 ||
        !std::all_of(text->begin(), text->end(), [](char c) { return c >= '0' && c <= '9'; });
    req.twoFramings = headers.get(kj::HttpHeaderId::TRANSFER_ENCODING) != nullptr;
  }

  Exchange& ref = *x;
  return kj::evalNow([&]() { return process(ref, requestBody); })
      .catch_([this, &ref](kj::Exception&& e) -> Reply {
        // A client that hung up gets no answer; kj closes the connection quietly.
        if (e.getType() == kj::Exception::Type::DISCONNECTED) kj::throwFatalException(kj::mv(e));
        // A failure of pitd itself (a damaged database, a bug): logged once, here, and answered
        // 500 without details, which may name internals.
        log::error("request failed", {{"route", ref.access.route},
                                      {"request_id", ref.access.requestId},
                                      {"error", std::string(e.getDescription().cStr())}});
        return handlers_.errorReply(Code::internal,
                                    "pitd failed to answer this request; its log has the details");
      })
      .then([this, &response, &ref](Reply reply) { return send(response, ref, kj::mv(reply)); })
      .attach(kj::mv(x));
}

kj::Promise<void> ApiService::handleClientProtocolError(
    kj::HttpHeaders::ProtocolError protocolError, Response& response) {
  // kj's description is "safe for all the world to see"; its rawContent is not, and stays out.
  Reply reply = handlers_.errorReply(
      Code::invalidArgument,
      std::string("the request is not valid HTTP: ") + protocolError.description.cStr());
  metrics_.recordRequest("-", "-", reply.status, 0);
  log::access({{"method", "-"}, {"route", "-"}, {"status", std::to_string(reply.status)},
               {"error", protocolError.description.cStr()}});
  return sendError(response, reply);
}

kj::Promise<void> ApiService::handleApplicationError(kj::Exception exception,
                                                     kj::Maybe<Response&> response) {
  if (exception.getType() == kj::Exception::Type::DISCONNECTED) return kj::READY_NOW;
  KJ_IF_MAYBE(r, response) {
    Reply reply = handlers_.errorReply(
        Code::invalidArgument,
        "the request's framing is not valid HTTP (Content-Length, Transfer-Encoding)");
    metrics_.recordRequest("-", "-", reply.status, 0);
    // kj's description names its source lines: the log may have it, the client may not.
    log::access({{"method", "-"}, {"route", "-"}, {"status", std::to_string(reply.status)},
                 {"error", exception.getDescription().cStr()}});
    return sendError(*r, reply);
  }
  log::access({{"error", exception.getDescription().cStr()}});
  return kj::READY_NOW;  // the response had begun: kj closes the connection
}

kj::Promise<void> ApiService::sendError(Response& response, const Reply& reply) {
  kj::HttpHeaders headers(*table_);
  headers.set(kj::HttpHeaderId::CONTENT_TYPE, "application/json");
  auto body = kj::heapString(reply.body.data(), reply.body.size());
  auto stream = response.send(reply.status, statusText(reply.status), headers, body.size());
  auto write = stream->write(body.begin(), body.size());
  return write.attach(kj::mv(stream), kj::mv(body));
}

kj::Promise<Reply> ApiService::process(Exchange& x, kj::AsyncInputStream& body) {
  const Request& req = x.request;
  Call& call = x.call;
  call.method = req.method;
  call.path = req.path;
  if (req.requestId) {
    x.requestIdValid = commands::isValidRequestId(*req.requestId);
    if (x.requestIdValid) call.requestId = *req.requestId;
  } else {
    call.requestId = requestIds_.next();
  }
  if (x.requestIdValid) x.access.requestId = call.requestId;

  // Authentication is decided from the route that matched the decoded path -- the same match
  // that picks the handler -- so no spelling of a path can reach a handler without its check.
  // An unauthenticated caller of anything but an open route is answered 401 whether or not the
  // path exists, and learns nothing about which paths do.
  auto match = matchPath(req.path);
  if (match) x.access.route = match->route->pattern;
  x.openRoute = match && match->route->access == Access::open;
  x.consoleRoute = match && ConsoleHandlers::isConsoleRoute(match->route->id);
  // Open routes and the console's own (each checks its own credential in its handler).
  if (!needsServiceKey(match)) return authenticated(x, std::move(match), body);

  // A console session stands in for the key only where the route says so, and only when no
  // Authorization header is sent (a header decides alone, as it does between Bearer and a form).
  if (acceptsConsoleSession(match) && !req.authorization && req.cookie) {
    if (auto sessionId = sessionIdFromCookies(*req.cookie)) {
      return authenticateBySession(x, std::move(match), *sessionId, body);
    }
  }

  const bool clientSecret = acceptsClientSecret(match);
  Authentication auth = authenticateHeader(req.authorization, clientSecret, keys_.current());
  if (auth.outcome == Authentication::missing && clientSecret && mayCarryFormCredentials(req)) {
    return authenticateByBody(x, std::move(match), body);
  }
  if (auth.outcome != Authentication::authenticated) return refuse(auth, clientSecret);
  noteClient(x, auth);
  return authenticated(x, std::move(match), body);
}

kj::Promise<Reply> ApiService::authenticateByBody(Exchange& x, std::optional<RouteMatch> match,
                                                  kj::AsyncInputStream& body) {
  // Deny by default holds: the body is only read here, nothing is decided from it but the
  // credentials, and a body that cannot be read whole (too large, slow, badly framed) holds none.
  return readBody(body, x.request.contentLength)
      .then([this, &x, match = std::move(match), &body](BodyRead read) mutable
            -> kj::Promise<Reply> {
        Authentication auth;
        if (read.bytes && read.bytes->size() <= kMaxBodyBytes) {
          auth = authenticateFormBody(*read.bytes, keys_.current());
        }
        if (auth.outcome != Authentication::authenticated) return refuse(auth, true);
        noteClient(x, auth);
        x.bodyReadEarly = std::move(read.bytes);
        return authenticated(x, std::move(match), body);
      });
}

kj::Promise<Reply> ApiService::authenticateBySession(Exchange& x,
                                                     std::optional<RouteMatch> match,
                                                     const std::string& sessionId,
                                                     kj::AsyncInputStream& body) {
  auto known = sessions_.authenticate(sessionId);
  if (known.unavailable) return consoleSessionsUnavailable(handlers_, *known.unavailable);
  auto& actor = known.value;
  if (!actor) {
    return handlers_
        .errorReply(Code::unauthenticated,
                    "the console session is unknown or has ended: open a new sign-in link")
        .header("WWW-Authenticate", "Bearer");
  }
  x.sessionActor = std::move(*actor);
  return authenticated(x, std::move(match), body);
}

void ApiService::noteClient(Exchange& x, const Authentication& auth) {
  if (auth.form == CredentialForm::bearer) return;
  x.access.client = auth.clientId;
  metrics_.recordClientAuthentication(credentialFormName(auth.form), auth.clientId);
}

Reply ApiService::refuse(const Authentication& auth, bool clientSecret) {
  switch (auth.outcome) {
    case Authentication::wrongKey:
      return handlers_.errorReply(Code::unauthenticated, auth.problem)
          .header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
    case Authentication::wrongClientSecret:
      return handlers_.errorReply(Code::unauthenticated, auth.problem)
          .header("WWW-Authenticate", "Basic realm=\"pitlog\"");
    default:
      return handlers_
          .errorReply(Code::unauthenticated,
                      clientSecret
                          ? "this route needs a service key: send `Authorization: Bearer <key>`, "
                            "or the key as an OAuth client secret (Basic, or client_id and "
                            "client_secret in a form body)"
                          : "this route needs a service key: send `Authorization: Bearer <key>`")
          .header("WWW-Authenticate", "Bearer");
  }
}

kj::Promise<Reply> ApiService::authenticated(Exchange& x, std::optional<RouteMatch> match,
                                             kj::AsyncInputStream& body) {
  Call& call = x.call;
  if (!match) return handlers_.errorReply(Code::notFound, "no such route");
  call.match = std::move(*match);

  if (!x.requestIdValid) {
    return handlers_.errorReply(Code::invalidArgument,
                                "X-Request-Id must be 1-128 printable ASCII characters",
                                "X-Request-Id");
  }
  if (auto reply = checkForm(x)) return kj::mv(*reply);
  if (const auto& actor = x.sessionActor) {
    // The header no other site can make a browser send (API.md): without it a session is not
    // used. The session's account is the only one it reaches.
    if (!x.request.consoleHeader) return missingConsoleHeader(handlers_);
    if (call.match.route->accountScoped && call.match.account != actor->accountId) {
      return handlers_.errorReply(Code::permissionDenied,
                                  "this console session is for another account");
    }
  }
  return withBody(x, body);
}

std::optional<Reply> ApiService::checkForm(Exchange& x) {
  const Request& req = x.request;
  Call& call = x.call;
  const Route& route = *call.match.route;
  auto bad = [&](const std::string& message, const std::string& field) {
    return handlers_.errorReply(Code::invalidArgument, message, field);
  };

  if (route.accountScoped) {
    if (!commands::isValidId(call.match.account)) {
      return bad("account id must match ^[A-Za-z0-9._:-]{1,64}$", "accountId");
    }
    x.access.account = call.match.account;
    if (!call.match.integration.empty() && !commands::isValidId(call.match.integration)) {
      return bad("integration id must match ^[A-Za-z0-9._:-]{1,64}$", "integrationId");
    }
    if (!call.match.webhook.empty() && !commands::isValidId(call.match.webhook)) {
      return bad("webhook id must match ^[A-Za-z0-9._:-]{1,64}$", "webhookId");
    }
    if (!call.match.user.empty() && !commands::isValidId(call.match.user)) {
      return bad("user id must match ^[A-Za-z0-9._:-]{1,64}$", "userId");
    }
    if (x.sessionActor) {
      // The session's actor; actor headers are ignored (API.md).
      call.actor = *x.sessionActor;
      x.access.actor = call.actor.userId;
    } else {
    if (!req.actorUser) return bad("X-Actor-User is required", "X-Actor-User");
    if (!commands::isValidId(*req.actorUser)) {
      return bad("X-Actor-User must match ^[A-Za-z0-9._:-]{1,64}$", "X-Actor-User");
    }
    x.access.actor = *req.actorUser;
    if (!req.actorRole) return bad("X-Actor-Role is required", "X-Actor-Role");
    events::Role role;
    if (*req.actorRole == "admin") {
      role = events::Role::admin;
    } else if (*req.actorRole == "user") {
      role = events::Role::user;
    } else {
      return bad("X-Actor-Role must be admin or user", "X-Actor-Role");
    }
    call.actor = events::Actor{call.match.account, *req.actorUser, role};
    }
  }

  if (!route.allows(req.method)) {
    return handlers_
        .errorReply(Code::methodNotAllowed,
                    std::string(kj::str(req.method).cStr()) + " is not allowed here; use " +
                        route.allowHeader())
        .header("Allow", route.allowHeader());
  }

  // API routes take only the query parameters they know, so that a misspelt one is an error
  // rather than silently ignored; /healthz and /metrics ignore theirs (probes add cache busters).
  std::optional<FormFields> query =
      x.openRoute ? std::optional<FormFields>(FormFields{}) : parseForm(req.query);
  if (!query) return bad("the query string has a malformed %-escape", "");
  const auto known = Handlers::knownQuery(route.id, req.method);
  for (auto& [name, value] : *query) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      bool printable = commands::isPrintableAscii(name, 64);
      return bad(printable ? "unknown query parameter '" + name + "'"
                           : std::string("unknown query parameter"),
                 printable ? name : std::string());
    }
    if (!call.query.emplace(name, std::move(value)).second) {
      return bad("query parameter '" + name + "' appears more than once", name);
    }
  }

  if (Handlers::isMutation(route.id, req.method)) {
    if (req.idempotencyKey) {
      if (!commands::isValidIdempotencyKey(*req.idempotencyKey)) {
        return bad("Idempotency-Key must be 1-128 printable ASCII characters", "Idempotency-Key");
      }
      call.idempotency = commands::IdempotencyKey{*req.idempotencyKey, {}};
    }
    if (req.ifMatch) {
      call.ifMatch = parseIfMatch(*req.ifMatch);
      if (!call.ifMatch) {
        return bad("If-Match must be * or a list of entity tags such as \"3\"", "If-Match");
      }
    }
  }

  // API.md: any GET and /v1/introspect may wait for a position; other routes ignore the header
  // (a mutation is decided at the stream's head whatever the client has seen).
  if (req.minPosition && (req.method == HttpMethod::GET || route.id == RouteId::introspect)) {
    x.minPosition = parsePosition(*req.minPosition);
    if (!x.minPosition) {
      return bad("X-Pitlog-Min-Position must be a log position: the decimal number an "
                 "X-Pitlog-Position header gave",
                 "X-Pitlog-Min-Position");
    }
  }

  if (req.contentLengthMalformed) {
    return bad("Content-Length must be a decimal number of bytes", "Content-Length");
  }
  if (req.twoFramings) return bad("send Content-Length or Transfer-Encoding, not both", "");
  if (req.method != HttpMethod::GET && req.contentLength && *req.contentLength > kMaxBodyBytes) {
    return handlers_.errorReply(Code::payloadTooLarge,
                                "the body is larger than " + std::to_string(kMaxBodyBytes) +
                                    " bytes");
  }
  return std::nullopt;
}

kj::Promise<ApiService::BodyRead> ApiService::readBody(kj::AsyncInputStream& body,
                                                      std::optional<uint64_t> contentLength) {
  // A Content-Length that checkForm() let through (at most kMaxBodyBytes) sizes the buffer: a
  // 64 KiB buffer per request costs more than parsing a 100-byte introspection (glibc
  // consolidates its free lists at every free of 64 KiB). Without one (chunked), the limit does.
  const size_t limit =
      contentLength ? std::min<size_t>(*contentLength, kMaxBodyBytes) : kMaxBodyBytes;
  auto read = readLimited(body, limit)
                  .then([](std::string bytes) { return BodyRead{std::move(bytes)}; },
                        [](kj::Exception&& e) -> BodyRead {
                          // A client that hung up mid-body is gone: nothing to answer.
                          if (e.getType() == kj::Exception::Type::DISCONNECTED) {
                            kj::throwFatalException(kj::mv(e));
                          }
                          // Anything else kj throws while decoding the body is the client's
                          // framing (a chunk size that is not hex, or overflows).
                          return BodyRead{std::nullopt, BodyRead::badFraming};
                        });
  KJ_IF_MAYBE(timer, timer_) {
    return read.exclusiveJoin(timer->afterDelay(kBodyTimeout).then([]() {
      return BodyRead{std::nullopt, BodyRead::timedOut};
    }));
  }
  return read;
}

kj::Promise<Reply> ApiService::dispatch(Exchange& x) {
  if (!x.minPosition || engine_.lastSeq() >= *x.minPosition) return dispatchNow(x);
  const uint64_t wanted = *x.minPosition;
  kj::Promise<bool> waiting = false;  // without a timer (tests of the service alone): no wait
  KJ_IF_MAYBE(w, waiters_) { waiting = w->waitFor(wanted, kMinPositionWait); }
  return waiting.then([this, &x, wanted](bool reached) -> kj::Promise<Reply> {
    if (reached) return dispatchNow(x);
    return handlers_.errorReply(
        Code::unavailable, "this node has applied the log up to position " +
                               std::to_string(engine_.lastSeq()) + ", not yet " +
                               std::to_string(wanted) + " (X-Pitlog-Min-Position), after " +
                               std::to_string(kMinPositionWait / kj::MILLISECONDS) +
                               " ms: retry, or ask another node");
  });
}

kj::Promise<Reply> ApiService::dispatchNow(Exchange& x) {
  if (cluster_ != nullptr) {
    const RouteId route = x.call.match.route->id;
    // Fail closed (API.md): a node that may have missed a revocation or a newer version answers
    // neither introspection nor mutations. Reads of views go on: X-Pitlog-Min-Position is what
    // makes them fresh.
    if (route == RouteId::introspect || Handlers::isMutation(route, x.call.method)) {
      if (auto reason = cluster_->failClosedReason()) {
        return handlers_.errorReply(Code::unavailable, *reason);
      }
    }
  }
  if (x.consoleRoute) {
    ConsoleRequest console;
    if (x.request.cookie) console.sessionId = sessionIdFromCookies(*x.request.cookie);
    console.consoleHeader = x.request.consoleHeader;
    console.ifNoneMatch = x.request.ifNoneMatch;
    return console_.handle(x.call, console, secureCookies_);
  }
  return handlers_.handle(x.call);
}

kj::Promise<Reply> ApiService::withBody(Exchange& x, kj::AsyncInputStream& body) {
  if (x.call.method == HttpMethod::GET) return dispatch(x);
  auto reading = x.bodyReadEarly ? kj::Promise<BodyRead>(BodyRead{std::move(x.bodyReadEarly)})
                                 : readBody(body, x.request.contentLength);
  return reading.then([this, &x](BodyRead read) -> kj::Promise<Reply> {
    if (read.failure == BodyRead::timedOut) {
      return handlers_.errorReply(Code::invalidArgument,
                                  "the request body did not arrive within " +
                                      std::to_string(kBodyTimeout / kj::SECONDS) + " s");
    }
    if (read.failure == BodyRead::badFraming) {
      return handlers_.errorReply(Code::invalidArgument,
                                  "the request body's chunked framing is not valid HTTP");
    }
    std::string bytes = std::move(*read.bytes);
    Call& call = x.call;
    const Request& req = x.request;
    const RouteId route = call.match.route->id;
    if (bytes.size() > kMaxBodyBytes) {
      return handlers_.errorReply(Code::payloadTooLarge, "the body is larger than " +
                                                             std::to_string(kMaxBodyBytes) +
                                                             " bytes");
    }
    if (!bytes.empty()) {
      auto media = req.contentType ? parseMediaType(*req.contentType) : std::nullopt;
      const bool formAllowed = route == RouteId::introspect || route == RouteId::revoke;
      const bool typeOk = media && (media->type == kJson || (formAllowed && media->type == kForm));
      const bool charsetOk = media && (!media->charset || *media->charset == "utf-8");
      if (!typeOk || !charsetOk) {
        return handlers_.errorReply(
            Code::unsupportedMediaType,
            std::string("the body must be ") +
                (formAllowed ? "application/json or application/x-www-form-urlencoded"
                             : "application/json") +
                " in UTF-8");
      }
      call.contentType = media->type;
    } else if (Handlers::needsBody(route, call.method)) {
      return handlers_.errorReply(Code::invalidArgument, "this request needs a body");
    }
    call.body = std::move(bytes);
    // The idempotency fingerprint is the command's, not these bytes': validate() sets it below
    // both protocols (commands::fingerprintOf), so a retry over RPC replays this request.
    return dispatch(x);
  });
}

kj::Promise<void> ApiService::send(Response& response, Exchange& x, Reply reply) {
  kj::HttpHeaders headers(*table_);
  if (!reply.body.empty()) {
    headers.set(kj::HttpHeaderId::CONTENT_TYPE, kj::heapString(reply.contentType.c_str()));
  }
  bool cacheControlSet = false;
  for (auto& [name, value] : reply.headers) {
    cacheControlSet = cacheControlSet || strcasecmp(name.c_str(), "Cache-Control") == 0;
    headers.add(kj::heapString(name.c_str()), kj::heapString(value.c_str()));
  }
  if (x.requestIdValid) headers.set(ids_.requestId, kj::heapString(x.call.requestId.c_str()));
  // Responses of the API may carry a plaintext token (create, rotate) or account data that no
  // cache should keep; API.md requires no-store at least where a token is carried. Every answer
  // but an open route's says so, 401s and 404s included; the console's files say no-cache.
  if (!x.openRoute && !cacheControlSet) headers.set(ids_.cacheControl, "no-store");
  if (x.consoleRoute || x.sessionActor) {
    // API.md "Admin console": nothing from another origin, no framing, no sniffing, and no
    // Referer that could carry a sign-in code elsewhere.
    headers.add("Content-Security-Policy",
                "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    headers.add("X-Content-Type-Options", "nosniff");
    headers.add("Referrer-Policy", "no-referrer");
  }

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - x.started).count();
  const std::string method(kj::str(x.request.method).cStr());
  metrics_.recordRequest(x.access.route, method, reply.status, seconds);
  if (log::enabled(spdlog::level::info)) {
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.3f", seconds * 1000);
    log::access({{"method", method},
                 {"route", x.access.route},
                 {"status", std::to_string(reply.status)},
                 {"ms", ms},
                 {"request_id", x.access.requestId},
                 {"account", x.access.account},
                 {"actor", x.access.actor},
                 {"client", x.access.client}});
  }

  if (reply.status == 204 || reply.status == 304) {
    // No body and no Content-Length (RFC 9110 §8.6): kj writes neither for a 204.
    response.send(reply.status, statusText(reply.status), headers, uint64_t(0));
    return kj::READY_NOW;
  }
  auto body = kj::heapString(reply.body.data(), reply.body.size());
  auto stream = response.send(reply.status, statusText(reply.status), headers, body.size());
  auto write = stream->write(body.begin(), body.size());
  return write.attach(kj::mv(stream), kj::mv(body));
}

}  // namespace pitlog::server::http
