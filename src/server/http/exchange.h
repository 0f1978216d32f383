#pragma once
// One HTTP request as pitd handles it: the Request (owned copies of what pitd reads, since kj
// invalidates its url and headers at the first body read), the Call a handler receives once the
// request's form has been checked, and the Reply it answers with.
#include <kj/compat/http.h>

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "commands/command.h"
#include "commands/result.h"
#include "events/event.h"
#include "server/http/router.h"

namespace pitlog::server::http {

struct Request {
  kj::HttpMethod method = kj::HttpMethod::GET;
  std::string path;   // as sent, without the query
  std::string query;  // as sent, after '?'
  std::optional<std::string> authorization, actorUser, actorRole, requestId, ifMatch,
      idempotencyKey, contentType, cookie, ifNoneMatch, minPosition;
  bool consoleHeader = false;  // X-Pitlog-Console: 1
  std::optional<uint64_t> contentLength;
  // kj reads Content-Length with strtoull, which takes "-1" for 2^64-1 and skips leading
  // whitespace and '+': pitd wants 1*DIGIT (RFC 9110 §8.6) and answers anything else 400.
  bool contentLengthMalformed = false;
  // Both Content-Length and Transfer-Encoding: kj follows the latter (RFC 9112 §6.1 allows it),
  // but a proxy in front that follows the former would see another request boundary, so pitd
  // refuses the request instead (smuggling).
  bool twoFramings = false;
};

// A request whose form (ids, headers, query, body size and media type) is known to be good.
struct Call {
  kj::HttpMethod method = kj::HttpMethod::GET;
  std::string path;
  RouteMatch match;
  events::Actor actor;     // account-scoped routes only
  std::string requestId;   // echoed, and stored in the events the request causes
  std::optional<commands::IfMatch> ifMatch;
  std::optional<commands::IdempotencyKey> idempotency;
  std::map<std::string, std::string> query;  // only the parameters the route knows, once each
  std::string contentType;  // lower-case media type, "" when absent
  std::string body;         // at most 64 KiB; empty for GET
};

struct Reply {
  int status = 200;
  std::string body;  // empty for 204
  std::string contentType = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // ETag, Allow, Location, ...

  Reply& header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

// What the access log says about a request; filled in as the request is understood.
struct AccessContext {
  std::string route = "-";  // the route pattern, never the concrete path
  std::string account = "-";
  std::string actor = "-";
  std::string requestId = "-";
  std::string client = "-";  // the OAuth client id of Basic or form credentials
};

}  // namespace pitlog::server::http
