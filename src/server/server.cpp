#include "server/server.h"

#include <kj/async-io.h>
#include <kj/async-unix.h>
#include <kj/compat/http.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>

#include <memory>
#include <optional>
#include <thread>

#include "cluster/cluster_node.h"
#include "server/webhooks/kv_delivery_state.h"
#include "server/webhooks/webhook_service.h"
#include "commands/engine.h"
#include "commands/scope_catalogue.h"
#include "events/checkpoint.h"
#include "events/signed_note_signer.h"
#include "events/store.h"
#include "server/accept_loop.h"
#include "server/cluster_view.h"
#include "server/connection_limits.h"
#include "server/expiry_scheduler.h"
#include "server/http/memory_console_session_store.h"
#include "server/http/shared_console_session_store.h"
#include "server/http_loop.h"
#include "server/http_loop_threads.h"
#include "server/log.h"
#include "server/metrics.h"
#include "server/service_keys.h"
#include "server/shared_listener.h"
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

// The configured keys file, or <data>/service.key (created at first start). Throws
// std::exception naming the file, never a key. Logs what it loaded and what looks unsafe.
ServiceKeys readKeys(const Config& config, const char* verb) {
  std::string path;
  ServiceKeys keys;
  if (config.serviceKeysFile) {
    path = *config.serviceKeysFile;
    keys = ServiceKeys::loadFile(path);
    log::info(std::string("service keys ") + verb, {{"file", path},
                                                     {"keys", std::to_string(keys.size())}});
  } else {
    bool created = false;
    keys = ServiceKeys::loadOrCreateDefault(config.dataDir, &path, &created);
    // The path, never the key: an operator reads the file, a log reader learns nothing.
    log::info(created ? "service key created" : std::string("service key ") + verb,
              {{"file", path}});
  }
  if (auto mode = ServiceKeys::openToOthers(path)) {
    char octal[8];
    std::snprintf(octal, sizeof octal, "%04o", *mode);
    log::warn("the service keys file may be read by other users; make it mode 0600",
              {{"file", path}, {"mode", octal}});
  }
  if (keys.shortKeys() > 0) {
    log::warn("service keys shorter than 32 characters are easy to guess; use longer ones",
              {{"file", path}, {"short_keys", std::to_string(keys.shortKeys())},
               {"min_length", std::to_string(ServiceKeys::kMinKeyLength)}});
  }
  return keys;
}

ServiceKeys loadKeys(const Config& config) {
  try {
    return readKeys(config, "loaded");
  } catch (const std::exception& e) {
    throw StartupError{2, e.what()};
  }
}

// SIGHUP: read the service keys again and use them from the next request on, without a drain or
// a restart. A file that cannot be used changes nothing: the keys in use stay.
kj::Promise<void> reloadKeysOnHangup(kj::UnixEventPort& signals, const Config& config,
                                     SharedServiceKeys& keys) {
  return signals.onSignal(SIGHUP).then([&signals, &config, &keys](siginfo_t) {
    try {
      keys.replace(readKeys(config, "reloaded"));  // every HTTP loop and the RPC port at once
    } catch (const std::exception& e) {
      log::error("service keys not reloaded; the previous keys stay in use", {{"error", e.what()}});
    }
    return reloadKeysOnHangup(signals, config, keys);
  });
}

// The key that signs checkpoints: --log-signing-key, or <data>/log-signing.key created at first
// start. The path is logged, never the key.
std::unique_ptr<events::NoteSigner> loadLogSigner(const Config& config) {
  const std::string path = config.logSigningKeyFile.value_or(
      (std::filesystem::path(config.dataDir) / "log-signing.key").string());
  try {
    bool created = false;
    auto signer = events::NoteSigner::loadOrCreate(path, events::logOrigin(events::kLogId), &created);
    log::info(created ? "log signing key created" : "log signing key loaded",
              {{"file", path}, {"verifier_key", signer->verifier().encoded()}});
    return signer;
  } catch (const std::exception& e) {
    throw StartupError{2, e.what()};
  }
}

// --cluster: connects to the NATS servers and makes sure the stream is safe, before the database
// is opened (the stream is joined when the engine opens it, through EngineOptions::log).
std::unique_ptr<cluster::ClusterNode> connectCluster(const ClusterConfig& config) {
  cluster::ClusterOptions options;
  options.urls = config.urls;
  options.stream = config.stream;
  options.replicas = config.replicas;
  options.nodeName = config.nodeName;
  options.maxStaleness = std::chrono::milliseconds(config.maxStalenessMs);
  const std::string node = config.nodeName;
  options.progress = [node](const std::string& message, uint64_t done, uint64_t total) {
    log::info(message, {{"node", node}, {"done", std::to_string(done)},
                        {"total", std::to_string(total)}});
  };
  std::string urls;
  for (const auto& u : config.urls) urls += (urls.empty() ? "" : ",") + u;
  log::info("joining the cluster", {{"node", node}, {"servers", urls}, {"stream", config.stream},
                                    {"replicas", std::to_string(config.replicas)},
                                    {"max_staleness_ms", std::to_string(config.maxStalenessMs)}});
  try {
    return cluster::ClusterNode::connect(options);
  } catch (const std::exception& e) {
    throw StartupError{1, std::string("cannot join the cluster: ") + e.what()};
  }
}

// Logs the node's freshness as it changes (API.md: a node not current for --max-staleness fails
// closed), so that an operator sees when and why a node stopped and started answering.
kj::Promise<void> watchFreshness(kj::Timer& timer, const ClusterView& cluster, bool wasFresh,
                                 bool wasConnected) {
  return timer.afterDelay(500 * kj::MILLISECONDS)
      .then([&timer, &cluster, wasFresh, wasConnected]() {
        const auto status = cluster.status();
        const std::string node = cluster.nodeName();
        const std::string position = std::to_string(cluster.position());
        const std::string lag = std::to_string(status.lagMs);
        if (status.connected != wasConnected) {
          if (status.connected) {
            log::info("cluster: connected to a NATS server again", {{"node", node}});
          } else {
            log::warn("cluster: lost the connection to the NATS servers", {{"node", node}});
          }
        }
        if (status.fresh != wasFresh) {
          if (status.fresh) {
            log::info("cluster: node is current again; introspection and mutations are served",
                      {{"node", node}, {"position", position}, {"lag_ms", lag}});
          } else {
            log::warn("cluster: node is not current with the stream; introspection and "
                      "mutations answer 503 until it has caught up",
                      {{"node", node}, {"position", position}, {"lag_ms", lag},
                       {"reason", status.reason}});
          }
        }
        return watchFreshness(timer, cluster, status.fresh, status.connected);
      });
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

// The HTTP port's socket, which every HTTP loop accepts from (shared_listener.h).
SharedListener listenHttp(kj::AsyncIoContext& io, const Endpoint& endpoint) {
  try {
    return SharedListener::open(io.provider->getNetwork(), io.waitScope, endpoint);
  } catch (const std::exception& e) {
    throw StartupError{1, "cannot listen for http on " + endpoint.text() + ": " + e.what()};
  } catch (const kj::Exception& e) {
    throw StartupError{1, "cannot listen for http on " + endpoint.text() + ": " +
                              e.getDescription().cStr()};
  }
}

// How many event loops serve HTTP: --http-threads, or one per core.
size_t httpLoopCount(const Config& config) {
  if (config.httpThreads > 0) return config.httpThreads;
  return std::max<size_t>(1, std::thread::hardware_concurrency());
}

// Tests and operators read the chosen port from this line when the configured one is 0, and take
// it as the sign that the port is served; its text stays "listening <protocol> <host>:<port>"
// with or without TLS. `loops`: the event loops serving it, when more than the main one can.
void logListening(const std::string& protocol, const std::string& where, bool tls,
                  std::optional<size_t> loops = std::nullopt) {
  const std::string tlsText = tls ? "true" : "false";
  const std::string text = "listening " + protocol + " " + where;
  if (loops) {
    log::info(text, {{"protocol", protocol}, {"address", where}, {"tls", tlsText},
                     {"loops", std::to_string(*loops)}});
  } else {
    log::info(text, {{"protocol", protocol}, {"address", where}, {"tls", tlsText}});
  }
}

// With TLS, the listener hands out only connections whose handshake succeeded (tls_receiver.h).
kj::Own<kj::ConnectionReceiver> listen(kj::AsyncIoContext& io, const Endpoint& endpoint,
                                       const char* protocol, kj::Maybe<ServerTls&> tls,
                                       Metrics& metrics) {
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
  logListening(protocol, endpoint.host + ":" + std::to_string(listener->getPort()), tls != nullptr);
  kj::TlsContext* context = nullptr;
  KJ_IF_MAYBE(t, tls) { context = t->context.get(); }
  return withTls(kj::mv(listener), context, io.provider->getTimer(), protocol, &metrics);
}

ConnectionLimits limitsOf(const Config& config) {
  ConnectionLimits limits;
  limits.maxConnections = config.maxConnections;
  limits.idleTimeout = config.idleTimeoutMs * kj::MILLISECONDS;
  limits.writeTimeout = config.writeTimeoutMs * kj::MILLISECONDS;
  return limits;
}

// A background promise that must not fail silently (KJ: eagerlyEvaluate with a handler).
kj::Promise<void> logFailure(kj::Promise<void> promise, std::string what) {
  return promise.eagerlyEvaluate([what = kj::mv(what)](kj::Exception&& e) {
    log::error(what + " stopped", {{"error", e.getDescription().cStr()}});
  });
}

int serve(const Config& config) {
  // Everything pitd creates from here on (the data directory, RocksDB's files, the default key
  // file) is its owner's alone: the accounts' names, user ids and history are nobody else's.
  ::umask(077);
  auto io = kj::setupAsyncIo();
  Metrics metrics;
  auto catalogue = loadCatalogue(config);
  SharedServiceKeys keys(loadKeys(config));
  auto tls = loadTls(config);  // before the database: a bad file should cost nothing to find
  // Declared before the engine, so that it outlives the engine's log on its connection.
  std::unique_ptr<cluster::ClusterNode> node;
  if (config.cluster) node = connectCluster(*config.cluster);

  commands::EngineOptions options;
  options.dataDir = config.dataDir;
  options.sync = config.sync;
  options.storageMemoryBytes = config.storageMemoryBytes;
  options.rotationWindowMs = config.rotationWindowMs;
  options.catalogue = std::move(catalogue);
  options.onBatch = [&metrics](const commands::BatchStats& stats) { metrics.recordBatch(stats); };
  if (node) {
    // The one branch on the mode: where the log lives (commands/commit_log.h).
    options.log = [&node](auto& store) { return node->openLog(store); };
    options.lastUseStore = [&node, sync = config.sync](auto& store) {
      return node->lastUseStore(store, sync);
    };
    options.nodeName = config.cluster->nodeName;
  }
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
  std::optional<ClusterView> cluster;
  kj::Promise<void> watchingCluster = kj::NEVER_DONE;
  if (node) {
    cluster.emplace(*node, *engine);
    const auto status = cluster->status();
    log::info("cluster node started",
              {{"node", cluster->nodeName()},
               {"position", std::to_string(engine->lastSeq())},
               {"stream_position", std::to_string(status.streamPosition)},
               {"fresh", status.fresh ? "true" : "false"}});
    watchingCluster = logFailure(
        watchFreshness(io.provider->getTimer(), *cluster, status.fresh, status.connected),
        "cluster freshness watch");
  }

  const ConnectionLimits limits = limitsOf(config);
  kj::Timer& timer = io.provider->getTimer();

  auto logSigner = loadLogSigner(config);
  std::unique_ptr<webhooks::WebhookService> hooks;
  try {
    webhooks::SharedDeliveryState shared;
    if (node) {
      // Exactly one node delivers each subscription: a lease and the delivery state in buckets
      // beside the stream.
      auto kv = webhooks::startClusterDelivery(node->connection(), config.cluster->stream,
                                               config.cluster->replicas, config.cluster->nodeName,
                                               webhooks::attemptTimeout(config));
      shared.lease = std::move(kv.lease);
      shared.state = std::move(kv.state);
    }
    hooks = webhooks::startWebhooks(config, *engine, std::move(shared));
  } catch (const std::exception& e) {
    throw StartupError{2, e.what()};
  }
  std::function<WebhookAttemptCounts()> attempts;
  if (hooks->worker) {
    attempts = [worker = hooks->worker.get()] {
      return WebhookAttemptCounts{worker->delivered(), worker->failed(), worker->gaveUp()};
    };
  }

  // HTTP: one event loop per core (http_loop.h), the main one among them, all accepting from one
  // socket. Console sign-in links and sessions are shared by the loops (and, in a cluster, by the
  // nodes: the bucket beside the stream).
  const size_t httpLoops = httpLoopCount(config);
  SharedListener httpListener = listenHttp(io, config.http);
  auto consoleSessions = std::make_unique<http::SharedConsoleSessionStore>(
      node ? node->consoleSessionStore() : std::make_unique<http::MemoryConsoleSessionStore>());
  HttpLoopShared httpShared{
      .config = config,
      .keys = keys,
      .limits = limits,
      .engine = *engine,
      .metrics = metrics,
      .listener = httpListener,
      .consoleSessions = *consoleSessions,
      .logSigner = logSigner.get(),
      .cluster = cluster ? &*cluster : nullptr,
      .webhooks = {hooks->key.get(), config.webhooksAllowPrivate, hooks->state.get(),
                   hooks->notDelivering, std::move(attempts)}};
  std::optional<HttpLoop> mainHttp;
  std::optional<HttpLoopThreads> moreHttp;
  try {
    std::optional<ServerTls> mainTls;
    if (config.tlsCertFile) mainTls = loadServerTls(*config.tlsCertFile, *config.tlsKeyFile);
    mainHttp.emplace(io, httpShared, std::move(mainTls));
    mainHttp->start();
    moreHttp.emplace(httpLoops - 1, httpShared);
  } catch (const std::exception& e) {
    throw StartupError{1, std::string("cannot serve http: ") + e.what()};
  }
  // Once every loop accepts (the RPC port's line follows at once).
  logListening("http", config.http.host + ":" + std::to_string(httpListener.port()), tls != nullptr,
               httpLoops);

  std::unique_ptr<rpc::RpcServer> rpcServer;
  kj::Maybe<kj::Own<kj::ConnectionReceiver>> rpcListener;
  kj::Maybe<AcceptLoop> rpcAccepts;
  kj::Promise<void> rpcAccepting = kj::NEVER_DONE;
  if (config.rpc) {
    rpcServer = std::make_unique<rpc::RpcServer>(
        *engine, [&keys](std::string_view key) { return keys.current().authenticate(key); }, timer, limits,
        [](const std::string& what) { log::warn(what); },
        cluster ? rpc::FailClosed([&cluster]() { return cluster->failClosedReason(); })
                : rpc::FailClosed());
    auto& listener = rpcListener.emplace(listen(io, *config.rpc, "rpc", tls, metrics));
    auto& accepts = rpcAccepts.emplace(*listener, timer, "rpc", limits.maxConnections,
                                       [&rpcServer](kj::Own<kj::AsyncIoStream> c) {
                                         rpcServer->add(kj::mv(c));
                                       },
                                       &metrics);
    rpcAccepting = accepts.run();
  }

  ExpiryScheduler scheduler(*engine, timer);
  auto expiries = logFailure(scheduler.run(), "expiry scheduler");
  auto reloading = logFailure(reloadKeysOnHangup(io.unixEventPort, config, keys), "key reloading");

  // Runs until a signal. (Accepting never ends by itself: a failed accept is retried.)
  const int signo = io.unixEventPort.onSignal(SIGTERM)
                        .exclusiveJoin(io.unixEventPort.onSignal(SIGINT))
                        .then([](siginfo_t info) { return info.si_signo; })
                        .wait(io.waitScope);
  log::info("shutting down", {{"signal", strsignal(signo)}});

  // Stop accepting on both ports, stop the background work, then let the requests and RPC calls
  // in flight finish: each command is answered once durable, on either port.
  mainHttp->stopAccepting();
  kj::Promise<void> moreHttpDrained = moreHttp->drain();  // they stop accepting first
  rpcAccepting = nullptr;
  httpListener.close();  // closed: new connections are refused rather than left queued
  rpcListener = nullptr;
  expiries = nullptr;
  reloading = nullptr;
  watchingCluster = nullptr;
  auto drains = kj::heapArrayBuilder<kj::Promise<void>>(3);
  drains.add(mainHttp->drain());
  drains.add(kj::mv(moreHttpDrained));
  drains.add(rpcServer ? rpcServer->drain() : kj::Promise<void>(kj::READY_NOW));
  kj::joinPromises(drains.finish())
      .exclusiveJoin(timer.afterDelay(kDrainTimeout).then([]() {
        log::warn("requests still in flight after the drain timeout; closing their connections");
      }))
      .wait(io.waitScope);
  moreHttp.reset();   // ends the other HTTP loops, closing what the timeout left
  mainHttp.reset();
  rpcServer.reset();  // closes what the timeout left; its sessions refer to the engine
  hooks.reset();      // stops delivery (an attempt in flight is sent again after a restart)
  engine->stop();  // finishes every queued command (including scheduler expiries), then stops
  engine.reset();  // closes the database (and stops following the stream)
  consoleSessions.reset();  // drops the cluster's bucket before its connection
  node.reset();    // then the connection the log used
  log::info("stopped");
  return 0;
}

}  // namespace

void captureShutdownSignals() {
  kj::UnixEventPort::captureSignal(SIGTERM);
  kj::UnixEventPort::captureSignal(SIGINT);
  kj::UnixEventPort::captureSignal(SIGHUP);  // reloads the service keys
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
