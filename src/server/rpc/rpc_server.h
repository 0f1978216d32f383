#pragma once
// pitd's Cap'n Proto RPC port (API.md "Cap'n Proto RPC"; the schema is pitlog_rpc.capnp).
#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>
#include <kj/timer.h>

#include <functional>
#include <list>
#include <memory>
#include <string>
#include <string_view>

#include "commands/engine.h"
#include "server/connection_limits.h"
#include "server/rpc/session.h"  // Authenticator, FailClosed

namespace pitlog::rpc {

using Authenticator = std::function<bool(std::string_view serviceKey)>;

// Serves RPC connections: each has its own two-party RPC system whose bootstrap capability is a
// Gateway; Gateway.login(serviceKey) checks the key with `authenticate` and, when it holds,
// yields the Session that carries every operation. Every connection lives under `limits`
// (connection_limits.h: login within firstRequestTimeout, closed after idleTimeout without a
// message either way, writes taken within writeTimeout) and under the message limits of
// guarded_message_stream.h. A message may be up to kTransportLimitBytes: above the application's
// 64 KiB a call is answered payload_too_large and the session goes on; a larger message ends
// the connection.
//
// Runs on the calling thread's KJ event loop; `authenticate` is called there. `engine` and
// `timer` must outlive the server. Destroying it closes every connection at once: drain() first.
class RpcServer final : private kj::TaskSet::ErrorHandler {
 public:
  static constexpr size_t kTransportLimitBytes = 4 * 1024 * 1024;
  // Bytes of calls in flight (read, not yet answered) beyond which a connection is not read.
  static constexpr size_t kFlowLimitBytes = 1024 * 1024;

  // Called with a line's text when a connection is ended for exceeding a message limit.
  using Report = std::function<void(const std::string& what)>;

  // `failClosed`: cluster mode's rule for introspection and mutations (session.h); unset on a
  // single node.
  RpcServer(commands::Engine& engine, Authenticator authenticate, kj::Timer& timer,
            server::ConnectionLimits limits, Report report = nullptr,
            FailClosed failClosed = nullptr);
  ~RpcServer() noexcept(false);

  // Serves a connection until the client, a limit or drain() ends it.
  void add(kj::Own<kj::AsyncIoStream> connection);

  // Stops reading new calls on every connection, then resolves once each has answered every call
  // it read (commands included: each answered after it became durable) and closed.
  kj::Promise<void> drain();

  size_t connections() const { return open_.size(); }

 private:
  struct Connection;

  void taskFailed(kj::Exception&& exception) override;
  kj::Promise<void> watch(Connection& connection);

  commands::Engine& engine_;
  std::shared_ptr<const Authenticator> authenticate_;
  FailClosed failClosed_;
  kj::Timer& timer_;
  server::ConnectionLimits limits_;
  Report report_;
  bool draining_ = false;
  std::list<Connection*> open_;
  kj::TaskSet connections_;  // destroyed first: connections go before what they refer to
};

// Accepts connections on `listener` and serves them with an RpcServer under default limits
// (tests and tools; pitd uses its own accept loop). Never resolves; rejects when accepting
// fails. `listener`, `engine` and `timer` must outlive the promise.
kj::Promise<void> serveRpc(kj::ConnectionReceiver& listener, pitlog::commands::Engine& engine,
                           Authenticator authenticate, kj::Timer& timer);

}  // namespace pitlog::rpc
