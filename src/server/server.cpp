#include "server/server.h"

#include <kj/async-io.h>
#include <kj/async-unix.h>
#include <kj/compat/http.h>
#include <signal.h>

#include <memory>

#include "commands/engine.h"
#include "commands/scope_catalogue.h"
#include "events/store.h"
#include "server/expiry_scheduler.h"
#include "server/http_connections.h"
#include "server/http/api_service.h"
#include "server/log.h"
#include "server/metrics.h"
#include "server/service_keys.h"
#include "server/tls.h"
#include "server/tls_receiver.h"

#include "server/rpc/rpc_server.h"

namespace pitlog::server {

namespace {

// How long shutdown waits for requests in flight before closing their connections anyway.
constexpr kj::Duration kDrainTimeout = 10 * kj::SECONDS;

struct StartupError {
  int exitCode;
  std::string message;
};

commands::ScopeCatalogue loadCatalogue(const Config& config) {
  if (!config.scopesFile) return commands::ScopeCatalogue::builtIn();
  try {
    return commands::ScopeCatalogue::load(*config.scopesFile);
  } catch (const std::exception& e) {
    throw StartupError{2, std::string("cannot use the scope catalogue: ") + e.what()};
  }
}

ServiceKeys loadKeys(const Config& config) {
  try {
    if (config.serviceKeysFile) {
      auto keys = ServiceKeys::loadFile(*config.serviceKeysFile);
      log::info("service keys loaded", {{"file", *config.serviceKeysFile},
                                        {"keys", std::to_string(keys.size())}});
      return keys;
    }
    std::string path;
    bool created = false;
    auto keys = ServiceKeys::loadOrCreateDefault(config.dataDir, &path, &created);
    // The path, never the key: an operator reads the file, a log reader learns nothing.
    log::info(created ? "service key created" : "service key loaded", {{"file", path}});
    return keys;
  } catch (const std::exception& e) {
    throw StartupError{2, e.what()};
  }
}

kj::Maybe<ServerTls> loadTls(const Config& config) {
  if (!config.tlsCertFile) return nullptr;  // parseConfig guarantees both or neither
  try {
    ServerTls tls = loadServerTls(*config.tlsCertFile, *config.tlsKeyFile);
    log::info("tls enabled", {{"cert", *config.tlsCertFile},
                              {"key", *config.tlsKeyFile},
                              {"subject", tls.subject},
                              {"not_after", tls.notAfter}});
    if (tls.expired) {
      // A warning, not a refusal: /healthz probes and clients that pin the certificate keep
      // working, and the log names the cause of every verifying client's failed handshake.
      log::warn("tls certificate has expired", {{"cert", *config.tlsCertFile},
                                                {"not_after", tls.notAfter}});
    }
    return kj::mv(tls);
  } catch (const TlsFileError& e) {
    throw StartupError{2, e.what()};
  }
}

// With TLS, the listener hands out only connections whose handshake succeeded (tls_receiver.h).
kj::Own<kj::ConnectionReceiver> listen(kj::AsyncIoContext& io, const Endpoint& endpoint,
                                       const char* protocol, kj::Maybe<ServerTls&> tls) {
  kj::Own<kj::ConnectionReceiver> listener;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() {
                auto address = io.provider->getNetwork()
                                   .parseAddress(kj::str(endpoint.text().c_str()))
                                   .wait(io.waitScope);
                listener = address->listen();
              })) {
    throw StartupError{1, std::string("cannot listen for ") + protocol + " on " + endpoint.text() +
                              ": " + e->getDescription().cStr()};
  }
  // Tests and operators read the chosen port from this line when the configured one is 0; its
  // text stays "listening <protocol> <host>:<port>" with or without TLS.
  const std::string where = endpoint.host + ":" + std::to_string(listener->getPort());
  log::info(std::string("listening ") + protocol + " " + where,
            {{"protocol", protocol}, {"address", where}, {"tls", tls != nullptr ? "true" : "false"}});
  KJ_IF_MAYBE(t, tls) {
    return kj::heap<TlsReceiver>(*t->context, io.provider->getTimer(), kj::mv(listener), protocol);
  }
  return listener;
}

// A background promise that must not fail silently (KJ: eagerlyEvaluate with a handler).
kj::Promise<void> logFailure(kj::Promise<void> promise, std::string what) {
  return promise.eagerlyEvaluate([what = kj::mv(what)](kj::Exception&& e) {
    log::error(what + " stopped", {{"error", e.getDescription().cStr()}});
  });
}

int serve(const Config& config) {
  auto io = kj::setupAsyncIo();
  Metrics metrics;
  auto catalogue = loadCatalogue(config);
  auto keys = loadKeys(config);
  auto tls = loadTls(config);  // before the database: a bad file should cost nothing to find

  commands::EngineOptions options;
  options.dataDir = config.dataDir;
  options.sync = config.sync;
  options.rotationWindowMs = config.rotationWindowMs;
  options.catalogue = std::move(catalogue);
  options.onBatch = [&metrics](const commands::BatchStats& stats) { metrics.recordBatch(stats); };
  std::unique_ptr<commands::Engine> engine;
  try {
    engine = commands::Engine::open(std::move(options));
  } catch (const std::exception& e) {
    throw StartupError{1, std::string("cannot open the database in '") + config.dataDir +
                              "': " + e.what()};
  }
  log::info("database open", {{"data", config.dataDir},
                              {"last_seq", std::to_string(engine->lastSeq())},
                              {"tokens", std::to_string(engine->tokenCount())},
                              {"scopes", std::to_string(engine->catalogue().scopes().size())},
                              {"rotation_window_ms", std::to_string(config.rotationWindowMs)},
                              {"sync", config.sync ? "true" : "false"}});

  // With the timer, a body announced and never sent in full is answered 400 in bounded time.
  http::ApiService api(*engine, keys, metrics, io.provider->getTimer());
  api.setSecureCookies(tls != nullptr);  // console session cookies: Secure under TLS
  kj::HttpServerSettings settings;
  settings.errorHandler = api;
  kj::HttpServer httpServer(io.provider->getTimer(), api.headerTable(), api, settings);
  HttpConnections httpConnections(httpServer);  // one write per response (coalescing_stream.h)
  auto httpListener = listen(io, config.http, "http", tls);

  kj::Maybe<kj::Own<kj::ConnectionReceiver>> rpcListener;
  kj::Promise<void> rpcServing = kj::NEVER_DONE;
  if (config.rpc) {
    auto& listener = rpcListener.emplace(listen(io, *config.rpc, "rpc", tls));
    rpcServing = logFailure(rpc::serveRpc(*listener, *engine,
                              [&keys](std::string_view key) { return keys.authenticate(key); }),
                     "rpc server");
  }

  ExpiryScheduler scheduler(*engine, io.provider->getTimer());
  auto expiries = logFailure(scheduler.run(), "expiry scheduler");

  // Runs until a signal, or until accepting connections fails for good.
  auto signalled = io.unixEventPort.onSignal(SIGTERM)
                       .exclusiveJoin(io.unixEventPort.onSignal(SIGINT))
                       .then([](siginfo_t info) { return info.si_signo; });
  auto accepting = httpConnections.listen(*httpListener).then([]() { return 0; }, [](kj::Exception&& e) {
    log::error("accepting HTTP connections failed", {{"error", e.getDescription().cStr()}});
    return -1;
  });
  const int signo = signalled.exclusiveJoin(kj::mv(accepting)).wait(io.waitScope);
  log::info("shutting down", {{"signal", signo > 0 ? strsignal(signo) : "none"}});

  // Stop accepting (the listen promise is gone with the join), stop the background work, then let
  // requests in flight finish: each is waiting for its command to become durable.
  httpListener = nullptr;  // closed: new connections are refused rather than left queued
  rpcServing = nullptr;
  rpcListener = nullptr;
  expiries = nullptr;
  httpConnections.drain()
      .exclusiveJoin(io.provider->getTimer().afterDelay(kDrainTimeout).then([]() {
        log::warn("requests still in flight after the drain timeout; closing their connections");
      }))
      .wait(io.waitScope);
  engine->stop();  // finishes every queued command (including scheduler expiries), then stops
  engine.reset();  // closes the database
  log::info("stopped");
  return signo > 0 ? 0 : 1;
}

}  // namespace

void captureShutdownSignals() {
  kj::UnixEventPort::captureSignal(SIGTERM);
  kj::UnixEventPort::captureSignal(SIGINT);
  // A client that hangs up must not kill the process with SIGPIPE.
  ::signal(SIGPIPE, SIG_IGN);
}

int runServer(const Config& config) {
  try {
    return serve(config);
  } catch (const StartupError& e) {
    log::error(e.message);
    return e.exitCode;
  }
}

}  // namespace pitlog::server
