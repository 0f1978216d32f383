#include "server/rpc/rpc_client.h"

namespace pitlog::rpc {

RpcError RpcError::from(schema::Error::Reader e) {
  return {std::string(e.getCode().cStr(), e.getCode().size()),
          std::string(e.getMessage().cStr(), e.getMessage().size()),
          std::string(e.getField().cStr(), e.getField().size())};
}

kj::Promise<kj::Own<RpcClient>> RpcClient::connect(kj::Network& network, kj::StringPtr address) {
  return network.parseAddress(address, 8081)
      .then([](kj::Own<kj::NetworkAddress>&& addr) {
        auto connecting = addr->connect();
        return connecting.attach(kj::mv(addr));
      })
      .then([](kj::Own<kj::AsyncIoStream>&& stream) {
        return kj::heap<RpcClient>(kj::mv(stream));
      });
}

kj::Promise<kj::Own<RpcClient>> RpcClient::connect(kj::Network& network, kj::StringPtr address,
                                                   kj::TlsContext& tls) {
  // wrapNetwork() takes the host for SNI and the certificate check from the address itself.
  auto tlsNetwork = tls.wrapNetwork(network);
  auto connecting = connect(*tlsNetwork, address);
  return connecting.attach(kj::mv(tlsNetwork));
}

RpcClient::RpcClient(kj::Own<kj::AsyncIoStream> stream)
    : stream_(kj::mv(stream)),
      rpc_(*stream_),
      gateway_(rpc_.bootstrap().castAs<schema::Gateway>()) {}

kj::Promise<LoginOutcome> RpcClient::login(kj::StringPtr serviceKey) {
  auto request = gateway_.loginRequest();
  request.setServiceKey(serviceKey);
  return request.send().then([](capnp::Response<schema::Gateway::LoginResults>&& response) {
    LoginOutcome outcome;
    auto result = response.getResult();
    if (result.hasError()) {
      outcome.error = RpcError::from(result.getError());
    } else {
      outcome.session = result.getSession();
    }
    return outcome;
  });
}

}  // namespace pitlog::rpc
