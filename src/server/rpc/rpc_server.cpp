#include "server/rpc/rpc_server.h"

#include <capnp/rpc.h>
#include <kj/debug.h>

#include "server/guarded_stream.h"
#include "server/rpc/guarded_message_stream.h"
#include "server/rpc/session.h"

namespace pitlog::rpc {

namespace {

// How often each connection's deadlines are checked.
constexpr kj::Duration kWatchInterval = 1 * kj::SECONDS;
// How long a drained connection waits for its client to close before closing itself.
constexpr kj::Duration kLinger = 2 * kj::SECONDS;

capnp::ReaderOptions receiveOptions() {
  capnp::ReaderOptions options;
  // The transport's bound, above the application's (wire.h): a message up to it is read and its
  // call answered payload_too_large, the session going on; only a larger one ends the connection.
  options.traversalLimitInWords = RpcServer::kTransportLimitBytes / sizeof(capnp::word);
  options.nestingLimit = 64;
  return options;
}

}  // namespace

// One accepted connection: its stream, its guard, network and RPC system, destroyed together.
struct RpcServer::Connection {
  Connection(RpcServer& server, kj::Own<kj::AsyncIoStream>&& s)
      : owner(server),
        stream(kj::heap<server::GuardedStream>(kj::mv(s), server.timer_,
                                               server.limits_.writeTimeout)),
        messages(*stream, server.timer_),
        network(messages, capnp::rpc::twoparty::Side::SERVER, receiveOptions()),
        rpcSystem(capnp::makeRpcServer(network, gateway())),
        acceptedAt(server.timer_.now()) {
    messages.setOutputQueued([this]() { return network.getCurrentQueueSize(); });
    rpcSystem.setFlowLimit(kFlowLimitBytes / sizeof(capnp::word));
    auto paf = kj::newPromiseAndFulfiller<void>();
    closed = kj::mv(paf.promise);
    close = kj::mv(paf.fulfiller);
    position = owner.open_.insert(owner.open_.end(), this);
  }
  ~Connection() {
    owner.open_.erase(position);
    KJ_IF_MAYBE(limit, messages.limitHit()) {
      if (owner.report_) {
        owner.report_(std::string("rpc connection closed: ") + limit->cStr());
      } else {
        KJ_LOG(WARNING, "pitlog RPC connection closed", *limit);
      }
    }
  }

  // A Gateway per connection, whose successful login lifts this connection's pre-login limits.
  capnp::Capability::Client gateway() {
    auto authenticate = std::make_shared<const Authenticator>(
        [shared = owner.authenticate_, this](std::string_view key) {
          const bool ok = (*shared)(key);
          if (ok) messages.loggedIn();
          return ok;
        });
    return kj::heap<GatewayImpl>(owner.engine_, std::move(authenticate), owner.failClosed_);
  }

  RpcServer& owner;
  kj::Own<server::GuardedStream> stream;
  GuardedMessageStream messages;
  capnp::TwoPartyVatNetwork network;
  capnp::RpcSystem<capnp::rpc::twoparty::VatId> rpcSystem;
  kj::TimePoint acceptedAt;
  kj::Promise<void> closed = nullptr;  // resolves when the server ends the connection
  kj::Own<kj::PromiseFulfiller<void>> close;
  std::list<Connection*>::iterator position;
  kj::Promise<void> draining = nullptr;  // last: cancelled before what it watches goes
};

RpcServer::RpcServer(commands::Engine& engine, Authenticator authenticate, kj::Timer& timer,
                     server::ConnectionLimits limits, Report report, FailClosed failClosed)
    : engine_(engine),
      authenticate_(std::make_shared<const Authenticator>(std::move(authenticate))),
      failClosed_(std::move(failClosed)),
      timer_(timer),
      limits_(limits),
      report_(std::move(report)),
      connections_(*this) {
  KJ_REQUIRE(*authenticate_ != nullptr, "RpcServer needs an authenticator");
}

RpcServer::~RpcServer() noexcept(false) = default;

void RpcServer::add(kj::Own<kj::AsyncIoStream> stream) {
  if (draining_) return;  // accepted just as the drain began: closed
  auto connection = kj::heap<Connection>(*this, kj::mv(stream));
  auto& ref = *connection;
  auto done = ref.network.onDisconnect()
                  .exclusiveJoin(kj::mv(ref.closed))
                  .exclusiveJoin(watch(ref));
  connections_.add(done.attach(kj::mv(connection)));
}

// Resolves when the connection has outlived a deadline: no login within firstRequestTimeout, or
// no message either way for idleTimeout while no call is in progress.
kj::Promise<void> RpcServer::watch(Connection& c) {
  return timer_.afterDelay(kWatchInterval).then([this, &c]() -> kj::Promise<void> {
    const auto now = timer_.now();
    if (!c.messages.isLoggedIn() && now - c.acceptedAt >= limits_.firstRequestTimeout) {
      return kj::READY_NOW;
    }
    if (c.messages.unanswered() == 0 && now - c.stream->lastActivity() >= limits_.idleTimeout) {
      return kj::READY_NOW;
    }
    return watch(c);
  });
}

kj::Promise<void> RpcServer::drain() {
  draining_ = true;
  for (Connection* c : open_) {
    // Answered: say so with a FIN, and close once the client has closed its side too (its
    // unread calls are read meanwhile), or after kLinger.
    c->draining = c->messages.drain()
                      .then([this, c]() {
                        c->stream->shutdownWrite();
                        return timer_.afterDelay(kLinger);
                      })
                      .then([c]() { c->close->fulfill(); })
                      .eagerlyEvaluate(nullptr);
  }
  return connections_.onEmpty();
}

void RpcServer::taskFailed(kj::Exception&& exception) {
  // A peer that hangs up is routine; anything else (a protocol error) is worth a line.
  if (exception.getType() != kj::Exception::Type::DISCONNECTED) {
    KJ_LOG(WARNING, "pitlog RPC connection failed", exception);
  }
}

namespace {

class Listener {
 public:
  Listener(kj::ConnectionReceiver& receiver, commands::Engine& engine, Authenticator authenticate,
           kj::Timer& timer)
      : receiver_(receiver), server_(engine, std::move(authenticate), timer, {}) {}

  kj::Promise<void> acceptLoop() {
    return receiver_.accept().then([this](kj::Own<kj::AsyncIoStream>&& stream) {
      server_.add(kj::mv(stream));
      return acceptLoop();
    });
  }

 private:
  kj::ConnectionReceiver& receiver_;
  RpcServer server_;
};

}  // namespace

kj::Promise<void> serveRpc(kj::ConnectionReceiver& listener, commands::Engine& engine,
                           Authenticator authenticate, kj::Timer& timer) {
  auto server = kj::heap<Listener>(listener, engine, std::move(authenticate), timer);
  auto accepting = server->acceptLoop();
  return accepting.attach(kj::mv(server));
}

}  // namespace pitlog::rpc
