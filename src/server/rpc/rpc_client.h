#pragma once
// A small client of pitd's RPC port, for tests and tools. It owns one connection and its two-party
// RPC system; the capabilities it hands out are only usable while it lives.
//
//   auto io = kj::setupAsyncIo();
//   auto client = RpcClient::connect(io.provider->getNetwork(), "127.0.0.1:8081").wait(io.waitScope);
//   auto login = client->login(serviceKey).wait(io.waitScope);
//   KJ_IF_MAYBE(session, login.session) { auto req = session->scopesRequest(); ... }
//
// Single-threaded: use it on the thread whose event loop created it.
#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>
#include <kj/compat/tls.h>

#include <string>

#include "server/rpc/pitlog_rpc.capnp.h"

namespace pitlog::rpc {

// An Error result as plain strings.
struct RpcError {
  std::string code;  // API.md's code name
  std::string message;
  std::string field;
  static RpcError from(schema::Error::Reader e);
};

struct LoginOutcome {
  kj::Maybe<schema::Session::Client> session;  // set when the key was accepted
  RpcError error;                              // otherwise: `unauthenticated`
};

class RpcClient {
 public:
  // Connects to "host:port" (port 8081 when omitted).
  static kj::Promise<kj::Own<RpcClient>> connect(kj::Network& network, kj::StringPtr address);
  // The same over TLS, for a pitd started with --tls-cert: `tls` holds the certificates to trust
  // (kj::TlsContext::Options::trustedCertificates, e.g. pitd's self-signed one) and must outlive
  // the client. The server's certificate must name `host` as written in the address (a DNS name
  // such as `localhost`: kj checks names, not IP addresses). Rejects when it is not trusted.
  static kj::Promise<kj::Own<RpcClient>> connect(kj::Network& network, kj::StringPtr address,
                                                 kj::TlsContext& tls);
  explicit RpcClient(kj::Own<kj::AsyncIoStream> stream);

  RpcClient(const RpcClient&) = delete;
  RpcClient& operator=(const RpcClient&) = delete;

  schema::Gateway::Client gateway() { return gateway_; }
  kj::Promise<LoginOutcome> login(kj::StringPtr serviceKey);

  // Resolves when the server closes the connection.
  kj::Promise<void> onDisconnect() { return rpc_.onDisconnect(); }

 private:
  kj::Own<kj::AsyncIoStream> stream_;
  capnp::TwoPartyClient rpc_;
  schema::Gateway::Client gateway_;
};

}  // namespace pitlog::rpc
