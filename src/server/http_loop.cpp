#include "server/http_loop.h"

#include "events/checkpoint.h"
#include "server/tls_receiver.h"

namespace pitlog::server {

HttpLoop::HttpLoop(kj::AsyncIoContext& io, const HttpLoopShared& shared,
                   std::optional<ServerTls> tls)
    : tls_(std::move(tls)) {
  kj::Timer& timer = io.provider->getTimer();
  // With the timer, a body announced and never sent in full is answered 400 in bounded time.
  api_ = std::make_unique<http::ApiService>(shared.engine, shared.keys, shared.metrics, timer);
  api_->setSecureCookies(tls_.has_value());  // console session cookies: Secure under TLS
  if (shared.cluster != nullptr) api_->setCluster(shared.cluster);
  api_->setConsoleSessionStore(shared.consoleSessions.handle());
  api_->setLogSigner(shared.logSigner, events::logOrigin(events::kLogId));
  api_->setWebhooks(shared.webhooks);

  const ConnectionLimits& limits = shared.limits;
  kj::HttpServerSettings settings;
  settings.errorHandler = *api_;
  settings.headerTimeout = limits.firstRequestTimeout;
  connections_ = std::make_unique<HttpConnections>(timer, api_->headerTable(), *api_, settings,
                                                   limits.writeTimeout);
  // With TLS, the loop hands out only connections whose handshake succeeded.
  receiver_ = withTls(shared.listener.receiver(*io.lowLevelProvider),
                      tls_ ? tls_->context.get() : nullptr, timer, "http", &shared.metrics);
  accepts_ = std::make_unique<AcceptLoop>(
      *receiver_, timer, "http", limits.maxConnections,
      [this](kj::Own<kj::AsyncIoStream> c) { connections_->add(kj::mv(c)); }, &shared.metrics,
      shared.open);
}

HttpLoop::~HttpLoop() {
  // The connections (and their requests' promises) before the service they call.
  accepting_ = nullptr;
  accepts_.reset();
  receiver_ = nullptr;
  connections_.reset();
}

void HttpLoop::stopAccepting() {
  accepting_ = nullptr;
  accepts_.reset();
  receiver_ = nullptr;
}

kj::Promise<void> HttpLoop::drain() { return connections_->drain(); }

}  // namespace pitlog::server
