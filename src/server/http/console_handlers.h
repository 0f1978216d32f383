#pragma once
// The console's own routes (router.h: consoleLinks, consoleSignIn, consoleSignOut,
// consoleSession, consoleAsset), as API.md "Admin console" specifies them:
//   POST /v1/accounts/{a}/console/links  service key + actor headers; the actor must be allowed
//        to manage the account's integrations or be an admin (an admin whose own permission was
//        withdrawn still signs in to restore it: the permission routes need only the role).
//   GET  /console/signin?code=           spends the link, sets the session cookie, 303 /console/
//   POST /console/signout                ends the session (X-Pitlog-Console: 1)
//   GET  /console/session                who the session is (X-Pitlog-Console: 1)
//   GET  /console/, /console/{file}      the embedded files, with ETags (If-None-Match: 304)
// The security headers every console response carries are added by ApiService::send().
//
// Threading: the event loop thread, as ApiService.
#include <optional>
#include <string>

#include "commands/engine.h"
#include "server/http/console_sessions.h"
#include "server/http/exchange.h"
#include "server/http/handlers.h"

namespace pitlog::server::http {

// What a console route reads beyond the Call.
struct ConsoleRequest {
  std::optional<std::string> sessionId;  // from the Cookie header
  bool consoleHeader = false;            // X-Pitlog-Console: 1
  std::optional<std::string> ifNoneMatch;
};

class ConsoleHandlers {
 public:
  ConsoleHandlers(commands::Engine& engine, ConsoleSessions& sessions, const Handlers& handlers)
      : engine_(engine), sessions_(sessions), handlers_(handlers) {}

  // `secureCookies`: pitd serves TLS, so the cookie is marked Secure.
  Reply handle(const Call& call, const ConsoleRequest& request, bool secureCookies);

  static bool isConsoleRoute(RouteId route);

 private:
  Reply issueLink(const Call& call);
  Reply signIn(const Call& call, bool secureCookies);
  Reply signOut(const ConsoleRequest& request, bool secureCookies);
  Reply session(const ConsoleRequest& request);
  Reply asset(const Call& call, const ConsoleRequest& request);

  commands::Engine& engine_;
  ConsoleSessions& sessions_;
  const Handlers& handlers_;
};

// The answer to a request without `X-Pitlog-Console: 1` that uses a session: 403.
Reply missingConsoleHeader(const Handlers& handlers);
// 503 unavailable: the console's session store could not answer (`why`), so the request is
// refused rather than treated as signed in or signed out.
Reply consoleSessionsUnavailable(const Handlers& handlers, const std::string& why);

}  // namespace pitlog::server::http
