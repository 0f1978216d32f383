#include "server/http/console_handlers.h"

#include "events/time_format.h"
#include "server/http/console_assets.h"

namespace pitlog::server::http {

using commands::Code;

namespace {

// The page a refused sign-in link answers with: plain HTML, styled by the console's stylesheet
// (the Content-Security-Policy allows nothing inline).
constexpr std::string_view kRefusedSignInPage = R"(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign-in link not valid - pitlog console</title>
<link rel="stylesheet" href="/console/style.css">
</head>
<body>
<main class="signin-refused">
<h1>This sign-in link is not valid</h1>
<p>It has been used already, it has expired (a link is valid for 2 minutes, once), or it was
never issued. Ask for a new link: from the product's settings page, or with
<code>pitctl console</code>.</p>
</main>
</body>
</html>
)";

std::string sessionJson(const events::Actor& actor, bool mayManage) {
  // Ids match ^[A-Za-z0-9._:-]{1,64}$: nothing in them needs escaping.
  return std::string("{\"accountId\":\"") + actor.accountId + "\",\"userId\":\"" + actor.userId +
         "\",\"role\":\"" + events::roleName(actor.role) +
         "\",\"mayManage\":" + (mayManage ? "true" : "false") + "}";
}

}  // namespace

Reply consoleSessionsUnavailable(const Handlers& handlers, const std::string& why) {
  // Fail closed: neither "signed out" nor "signed in" when the sessions cannot be read. The
  // reason names the store's failure (connection, timeout), never a secret.
  return handlers.errorReply(Code::unavailable,
                             "console sessions are unavailable on this node: " + why +
                                 "; try again in a moment");
}

bool ConsoleHandlers::isConsoleRoute(RouteId route) {
  switch (route) {
    case RouteId::consoleLinks:
    case RouteId::consoleSignIn:
    case RouteId::consoleSignOut:
    case RouteId::consoleSession:
    case RouteId::consoleAsset:
      return true;
    default:
      return false;
  }
}

Reply missingConsoleHeader(const Handlers& handlers) {
  return handlers.errorReply(Code::permissionDenied,
                             "a console session is used only with the header X-Pitlog-Console: 1",
                             "X-Pitlog-Console");
}

Reply ConsoleHandlers::handle(const Call& call, const ConsoleRequest& request,
                              bool secureCookies) {
  switch (call.match.route->id) {
    case RouteId::consoleLinks: return issueLink(call);
    case RouteId::consoleSignIn: return signIn(call, secureCookies);
    case RouteId::consoleSignOut: return signOut(request, secureCookies);
    case RouteId::consoleSession: return session(request);
    case RouteId::consoleAsset: return asset(call, request);
    default: break;
  }
  KJ_FAIL_ASSERT("not a console route", call.match.route->pattern);
}

Reply ConsoleHandlers::issueLink(const Call& call) {
  const events::Actor& actor = call.actor;
  if (actor.role != events::Role::admin && !engine_.mayManage(actor, call.match.account)) {
    return handlers_.errorReply(Code::permissionDenied,
                                "user '" + actor.userId +
                                    "' may not manage the integrations of account '" +
                                    call.match.account + "', so gets no console link");
  }
  auto issued = sessions_.issueLink(actor);
  if (issued.unavailable) return consoleSessionsUnavailable(handlers_, *issued.unavailable);
  const auto& link = *issued.value;
  Reply reply;
  reply.status = 201;
  // The code is base64url and the time RFC 3339: nothing to escape.
  reply.body = "{\"url\":\"/console/signin?code=" + link.code + "\",\"expiresAt\":\"" +
               events::formatRfc3339(link.expiresAt) + "\"}";
  return reply;
}

Reply ConsoleHandlers::signIn(const Call& call, bool secureCookies) {
  auto code = call.query.find("code");
  ConsoleAnswer<ConsoleSessions::Session> redeemed;
  if (code != call.query.end()) redeemed = sessions_.redeem(code->second);
  if (redeemed.unavailable) return consoleSessionsUnavailable(handlers_, *redeemed.unavailable);
  const auto& session = redeemed.value;
  if (!session) {
    Reply reply;
    reply.status = 401;
    reply.contentType = "text/html; charset=utf-8";
    reply.body = std::string(kRefusedSignInPage);
    return reply;
  }
  Reply reply;
  reply.status = 303;
  reply.contentType = "text/plain; charset=utf-8";
  reply.body = "signed in: continue to /console/\n";
  reply.header("Location", "/console/");
  reply.header("Set-Cookie", sessionCookie(session->id, secureCookies));
  return reply;
}

Reply ConsoleHandlers::signOut(const ConsoleRequest& request, bool secureCookies) {
  if (!request.consoleHeader) return missingConsoleHeader(handlers_);
  if (request.sessionId) {
    // The cookie stays while the session may still be live elsewhere: the user can try again.
    if (auto down = sessions_.end(*request.sessionId)) {
      return consoleSessionsUnavailable(handlers_, *down);
    }
  }
  Reply reply;
  reply.status = 204;
  reply.header("Set-Cookie", clearedSessionCookie(secureCookies));
  return reply;
}

Reply ConsoleHandlers::session(const ConsoleRequest& request) {
  ConsoleAnswer<events::Actor> known;
  if (request.sessionId) known = sessions_.authenticate(*request.sessionId);
  if (known.unavailable) return consoleSessionsUnavailable(handlers_, *known.unavailable);
  const auto& actor = known.value;
  if (!actor) {
    return handlers_.errorReply(Code::unauthenticated,
                                "no console session: open a new sign-in link");
  }
  if (!request.consoleHeader) return missingConsoleHeader(handlers_);
  Reply reply;
  reply.body = sessionJson(*actor, engine_.mayManage(*actor, actor->accountId));
  return reply;
}

Reply ConsoleHandlers::asset(const Call& call, const ConsoleRequest& request) {
  if (call.path == "/console") {
    Reply reply;
    reply.status = 308;
    reply.contentType = "text/plain; charset=utf-8";
    reply.body = "the console is at /console/\n";
    reply.header("Location", "/console/");
    return reply;
  }
  auto file = findConsoleAsset(call.match.asset);
  if (!file) return handlers_.errorReply(Code::notFound, "the console has no such file");
  Reply reply;
  reply.header("ETag", std::string(file->etag));
  reply.header("Cache-Control", "no-cache");  // revalidate: the ETag makes that cheap
  if (request.ifNoneMatch && *request.ifNoneMatch == file->etag) {
    reply.status = 304;
    return reply;
  }
  reply.contentType = std::string(file->contentType);
  reply.body = std::string(file->bytes);
  return reply;
}

}  // namespace pitlog::server::http
