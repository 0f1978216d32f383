#pragma once
// Everything one kj event loop needs to serve pitd's HTTP port, built on that loop's thread: its
// own ApiService (header table, renderer, request ids, X-Pitlog-Min-Position waiters, console
// sessions over the process's shared store), its connections, its receiver on the port's shared
// socket (shared_listener.h; behind TLS when configured) and its accept loop. pitd runs one on
// the main loop and --http-threads - 1 more on threads of their own (http_loop_threads.h): the
// engine answers verification from any thread without a lock, so the loops share nothing on the
// introspection path but the engine's tables and the metrics.
//
// Threading: the loop's thread only, for every method.
#include <kj/async-io.h>
#include <kj/compat/http.h>

#include <memory>
#include <optional>

#include "commands/engine.h"
#include "events/signed_note_signer.h"
#include "server/accept_loop.h"
#include "server/cluster_view.h"
#include "server/config.h"
#include "server/connection_limits.h"
#include "server/http/api_service.h"
#include "server/http/shared_console_session_store.h"
#include "server/http_connections.h"
#include "server/metrics.h"
#include "server/service_keys.h"
#include "server/shared_listener.h"
#include "server/tls.h"

namespace pitlog::server {

// What every loop of the port shares; outlives the loops.
struct HttpLoopShared {
  const Config& config;
  const SharedServiceKeys& keys;  // replaced for every loop at once on SIGHUP
  ConnectionLimits limits;  // the same as the RPC port's (connection_limits.h)
  commands::Engine& engine;
  Metrics& metrics;
  const SharedListener& listener;
  http::SharedConsoleSessionStore& consoleSessions;
  const events::NoteSigner* logSigner = nullptr;
  const ClusterView* cluster = nullptr;  // null: a single node
  http::Handlers::WebhookSetup webhooks;
  // The port's open connections, counted across the loops (--max-connections bounds the port).
  AcceptLoop::OpenCount open = std::make_shared<std::atomic<size_t>>(0);
};

class HttpLoop {
 public:
  // `tls`: this loop's context (a kj::TlsContext belongs to one loop), when pitd serves TLS.
  HttpLoop(kj::AsyncIoContext& io, const HttpLoopShared& shared, std::optional<ServerTls> tls);
  ~HttpLoop();

  // Accepts from now until stopAccepting().
  void start() { accepting_ = accepts_->run(); }
  // Closes this loop's receiver: what it has not accepted goes to the other loops, or, once every
  // loop has stopped, is refused.
  void stopAccepting();
  // Finishes the requests in flight (HttpConnections::drain()).
  kj::Promise<void> drain();

 private:
  std::optional<ServerTls> tls_;
  std::unique_ptr<http::ApiService> api_;
  std::unique_ptr<HttpConnections> connections_;
  kj::Own<kj::ConnectionReceiver> receiver_;
  std::unique_ptr<AcceptLoop> accepts_;
  kj::Promise<void> accepting_ = nullptr;
};

}  // namespace pitlog::server
