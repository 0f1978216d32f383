#pragma once
// pitd's kj::HttpService: checks each request's form in API.md's order of precedence, hands it
// to the Handlers, and writes the Reply with the headers every response carries, then the
// access log record and the request metrics.
//
// Order of checks (API.md: authentication, then the request's form, then what the engine
// decides): service key or console session (401; 503 when the session store cannot answer) -> route (404) -> X-Request-Id, path ids and actor headers (400)
// -> method (405) -> query, If-Match, Idempotency-Key, Content-Length syntax (400) -> a console session's
// X-Pitlog-Console header and account (403) -> body size (413) -> media type (415) -> body content (400) -> handler (403, 404, 412, 409 and the rules of
// validate()).
//
// Threading: lives on the event loop thread; the header table is built once, in the constructor.
#include <kj/compat/http.h>

#include <chrono>

#include "commands/engine.h"
#include "server/cluster_view.h"
#include "server/http/console_handlers.h"
#include "server/http/console_sessions.h"
#include "server/http/credentials.h"
#include "server/http/exchange.h"
#include "server/http/handlers.h"
#include "server/http/position_waiters.h"
#include "server/http/render.h"
#include "server/http/request_ids.h"
#include "server/metrics.h"
#include "server/service_keys.h"

namespace pitlog::server::http {

class ApiService final : public kj::HttpService, public kj::HttpServerErrorHandler {
 public:
  // How long a request body may take to arrive once the headers are in, as long as kj gives the
  // headers (HttpServerSettings::headerTimeout): a client that announces a body and sends less
  // is answered 400 and closed, instead of holding its connection and request forever.
  static constexpr kj::Duration kBodyTimeout = 15 * kj::SECONDS;
  // How long a request with X-Pitlog-Min-Position waits for the node to apply it (API.md: 2 s).
  static constexpr kj::Duration kMinPositionWait = 2 * kj::SECONDS;

  // `timer` bounds body reads (kBodyTimeout); without one they are unbounded, so pitd's wiring
  // passes the event loop's timer.
  ApiService(commands::Engine& engine, const SharedServiceKeys& keys, Metrics& metrics,
             kj::Maybe<kj::Timer&> timer = nullptr);

  const kj::HttpHeaderTable& headerTable() const { return *table_; }

  // Console session cookies get the Secure attribute (pitd serves TLS).
  void setSecureCookies(bool secure) { secureCookies_ = secure; }
  // Where console links and sessions live (a cluster's shared bucket); without a call, this
  // process's memory.
  void setConsoleSessionStore(std::unique_ptr<ConsoleSessionStore> store) {
    sessions_.setStore(std::move(store));
  }
  // The key that signs the log's checkpoints (not owned) and the log's origin line.
  void setLogSigner(const events::NoteSigner* signer, std::string origin) {
    handlers_.setLogSigner(signer, std::move(origin));
  }
  // Cluster mode (not owned; null: a single node): introspection and mutations fail closed while
  // the node is not fresh, and /healthz and /metrics show the node.
  void setWebhooks(Handlers::WebhookSetup setup) { handlers_.setWebhooks(std::move(setup)); }
  void setCluster(const ClusterView* cluster) {
    cluster_ = cluster;
    handlers_.setCluster(cluster);
  }

  kj::Promise<void> request(kj::HttpMethod method, kj::StringPtr url,
                            const kj::HttpHeaders& headers, kj::AsyncInputStream& requestBody,
                            Response& response) override;

  // Requests kj cannot parse (bad request line, bad header syntax, unknown method) never reach
  // request(); they are answered here in the same JSON error shape, 400 invalid_argument. Pass
  // this object as HttpServerSettings::errorHandler.
  kj::Promise<void> handleClientProtocolError(kj::HttpHeaders::ProtocolError protocolError,
                                              Response& response) override;

  // kj reports here what it cannot frame once the headers parsed: a Content-Length that is not
  // one number (two different ones, "-1"), an unknown Transfer-Encoding. request() answers every
  // failure of its own, so what arrives here is the client's: 400 invalid_argument in the JSON
  // error shape, never kj's text/plain 500 with its internals. A client that hung up gets nothing.
  kj::Promise<void> handleApplicationError(kj::Exception exception,
                                           kj::Maybe<Response&> response) override;

 private:
  struct Exchange;
  struct HeaderIds {
    // Idempotency-Key and X-Pitlog-Min-Position are not among them: see request().
    kj::HttpHeaderId authorization, actorUser, actorRole, requestId, ifMatch, etag, allow,
        wwwAuthenticate, cacheControl, idempotentReplayed, location, cookie, consoleHeader,
        ifNoneMatch;
  };

  kj::Promise<Reply> process(Exchange& x, kj::AsyncInputStream& body);
  // What follows authentication: 404, the request's form, the body, the handler.
  kj::Promise<Reply> authenticated(Exchange& x, std::optional<RouteMatch> match,
                                   kj::AsyncInputStream& body);
  // The credentials of a route that takes the key as a client secret and found none in the
  // header: read from the form body, which is kept for the handler; 401 when they are not there.
  kj::Promise<Reply> authenticateByBody(Exchange& x, std::optional<RouteMatch> match,
                                        kj::AsyncInputStream& body);
  // A route that takes a console session in place of the key, called with the session cookie
  // and no Authorization header: 401 unless the session is live.
  kj::Promise<Reply> authenticateBySession(Exchange& x, std::optional<RouteMatch> match,
                                           const std::string& sessionId,
                                           kj::AsyncInputStream& body);
  void noteClient(Exchange& x, const Authentication& auth);
  Reply refuse(const Authentication& auth, bool acceptsClientSecret);
  kj::Promise<void> sendError(Response& response, const Reply& reply);
  kj::Promise<Reply> withBody(Exchange& x, kj::AsyncInputStream& body);
  // The handler of the matched route: the console's or the API's, once the node has applied
  // X-Pitlog-Min-Position and when it may answer (cluster mode's fail-closed rule).
  kj::Promise<Reply> dispatch(Exchange& x);
  kj::Promise<Reply> dispatchNow(Exchange& x);
  std::optional<Reply> checkForm(Exchange& x);
  kj::Promise<void> send(Response& response, Exchange& x, Reply reply);

  // The body, at most kMaxBodyBytes + 1 bytes of it (Content-Length + 1 when it is known), or
  // why there is none to judge.
  struct BodyRead {
    std::optional<std::string> bytes;
    enum Failure { none, timedOut, badFraming } failure = none;
  };
  kj::Promise<BodyRead> readBody(kj::AsyncInputStream& body,
                                 std::optional<uint64_t> contentLength);

  kj::Own<kj::HttpHeaderTable> table_;
  HeaderIds ids_;
  commands::Engine& engine_;
  const SharedServiceKeys& keys_;
  Metrics& metrics_;
  kj::Maybe<kj::Timer&> timer_;
  Renderer renderer_;
  Handlers handlers_;
  RequestIds requestIds_;
  ConsoleSessions sessions_;
  ConsoleHandlers console_;
  bool secureCookies_ = false;
  const ClusterView* cluster_ = nullptr;
  kj::Maybe<PositionWaiters> waiters_;  // with a timer only
};

}  // namespace pitlog::server::http
