#include "server/rpc/rpc_server.h"

#include <capnp/rpc.h>
#include <kj/debug.h>

#include <memory>

#include "server/rpc/session.h"

namespace pitlog::rpc {

namespace {

// The largest message a client may send. Calls are refused above 64 KiB of parameters with
// payload_too_large (wire.h); this bound only keeps a hostile peer from making the server buffer
// and traverse a huge message before that check.
constexpr uint64_t kMaxMessageWords = 1024 * 1024 / sizeof(capnp::word);  // 1 MiB

capnp::ReaderOptions receiveOptions() {
  capnp::ReaderOptions options;
  options.traversalLimitInWords = kMaxMessageWords;
  options.nestingLimit = 64;
  return options;
}

// One accepted connection: its stream, network and RPC system, destroyed together.
struct Connection {
  Connection(kj::Own<kj::AsyncIoStream>&& s, capnp::Capability::Client bootstrap)
      : stream(kj::mv(s)),
        network(*stream, capnp::rpc::twoparty::Side::SERVER, receiveOptions()),
        rpcSystem(capnp::makeRpcServer(network, kj::mv(bootstrap))) {}

  kj::Own<kj::AsyncIoStream> stream;
  capnp::TwoPartyVatNetwork network;
  capnp::RpcSystem<capnp::rpc::twoparty::VatId> rpcSystem;
};

class Listener final : private kj::TaskSet::ErrorHandler {
 public:
  Listener(kj::ConnectionReceiver& receiver, commands::Engine& engine, Authenticator authenticate)
      : receiver_(receiver),
        engine_(engine),
        authenticate_(std::make_shared<const Authenticator>(std::move(authenticate))),
        connections_(*this) {}

  kj::Promise<void> acceptLoop() {
    return receiver_.accept().then([this](kj::Own<kj::AsyncIoStream>&& stream) {
      serve(kj::mv(stream));
      return acceptLoop();
    });
  }

 private:
  void serve(kj::Own<kj::AsyncIoStream>&& stream) {
    // A Gateway per connection: a Session obtained on one connection lives and dies with it.
    auto connection =
        kj::heap<Connection>(kj::mv(stream), kj::heap<GatewayImpl>(engine_, authenticate_));
    auto done = connection->network.onDisconnect();
    connections_.add(done.attach(kj::mv(connection)));
  }

  void taskFailed(kj::Exception&& exception) override {
    // A peer that hangs up is routine; anything else (a protocol error) is worth a line.
    if (exception.getType() != kj::Exception::Type::DISCONNECTED) {
      KJ_LOG(WARNING, "pitlog RPC connection failed", exception);
    }
  }

  kj::ConnectionReceiver& receiver_;
  commands::Engine& engine_;
  std::shared_ptr<const Authenticator> authenticate_;
  kj::TaskSet connections_;  // destroyed first: connections go before what they refer to
};

}  // namespace

kj::Promise<void> serveRpc(kj::ConnectionReceiver& listener, commands::Engine& engine,
                           std::function<bool(std::string_view serviceKey)> authenticate) {
  KJ_REQUIRE(authenticate != nullptr, "serveRpc needs an authenticator");
  auto server = kj::heap<Listener>(listener, engine, std::move(authenticate));
  auto accepting = server->acceptLoop();
  return accepting.attach(kj::mv(server));
}

}  // namespace pitlog::rpc
