// The RPC port of a real pitd started with --tls-cert/--tls-key, through RpcClient's TLS connect
// and a self-signed certificate made at test time (tls_test_cert.h). The in-process Harness serves
// plain RPC; TLS is a matter of pitd's listener, so this test starts the binary.
#include <catch2/catch.hpp>
#include <kj/async-io.h>
#include <kj/compat/tls.h>

#include <regex>
#include <string>

#include "server/rpc/rpc_client.h"
#include "support/pitd_process.h"
#include "support/temp_dir.h"
#include "tls_test_cert.h"

using pitlog::rpc::RpcClient;
namespace schema = pitlog::rpc::schema;
using namespace pitlog::testing;

namespace {

constexpr auto kTimeout = 10 * kj::SECONDS;

int rpcPortFromLog(const std::string& log) {
  static const std::regex kListening("listening rpc [^ \\n]*:([0-9]+)");
  std::smatch m;
  REQUIRE(std::regex_search(log, m, kListening));
  return std::stoi(m[1]);
}

// A client context that trusts exactly `certPem`.
kj::Own<kj::TlsContext> trusting(const std::string& certPem, kj::Maybe<kj::TlsCertificate>* holder) {
  *holder = kj::TlsCertificate(kj::StringPtr(certPem.c_str(), certPem.size()));
  kj::TlsContext::Options options;
  options.useSystemTrustStore = false;
  options.trustedCertificates = kj::arrayPtr(&KJ_ASSERT_NONNULL(*holder), 1);
  return kj::heap<kj::TlsContext>(kj::mv(options));
}

}  // namespace

TEST_CASE("RPC over TLS: login, create, introspect - plain and distrusting clients fail alone",
          "[tls]") {
  TempDir dir("pitd-rpc-tls");
  auto cert = makeSelfSignedCert(dir.str(), "pitd");
  auto stranger = makeSelfSignedCert(dir.str(), "stranger");
  PitdProcess pitd(dir.sub("pitd.log"),
                   {"--data", dir.sub("data"), "--http", "127.0.0.1:0", "--rpc", "127.0.0.1:0",
                    "--tls-cert", cert.certFile, "--tls-key", cert.keyFile});
  const int port = rpcPortFromLog(readFile(dir.sub("pitd.log")));
  const std::string keyLine = readFile(dir.sub("data/service.key"));
  const std::string key = keyLine.substr(0, keyLine.find('\n'));
  const std::string address = "localhost:" + std::to_string(port);

  auto io = kj::setupAsyncIo();
  auto& timer = io.provider->getTimer();
  kj::Maybe<kj::TlsCertificate> trustedCert, strangerCert;
  auto tls = trusting(cert.certPem, &trustedCert);

  auto client = timer.timeoutAfter(kTimeout, RpcClient::connect(io.provider->getNetwork(),
                                                                 address, *tls))
                    .wait(io.waitScope);
  auto login = client->login(key).wait(io.waitScope);
  schema::Session::Client session = KJ_ASSERT_NONNULL(login.session);
  CHECK(session.scopesRequest().send().wait(io.waitScope).getScopes().size() > 0);

  auto create = session.createRequest();
  auto actor = create.initActor();
  actor.setAccountId("acme");
  actor.setUserId("alice");
  actor.setRole(schema::Actor::Role::ADMIN);
  create.setName("Zapier");
  create.initScopes(1).set(0, "contacts.readonly");
  auto created = create.send().wait(io.waitScope);
  REQUIRE(created.getResult().isOk());
  const std::string token(created.getResult().getOk().getToken().cStr());
  auto introspect = session.introspectRequest();
  introspect.setToken(token);
  CHECK(introspect.send().wait(io.waitScope).getResult().getActive());

  // Plain Cap'n Proto to the TLS port: the server drops it; the login never succeeds.
  {
    auto plain = RpcClient::connect(io.provider->getNetwork(), "127.0.0.1:" + std::to_string(port))
                     .wait(io.waitScope);
    auto attempt = timer.timeoutAfter(kTimeout, plain->login(key));
    auto failure = kj::runCatchingExceptions([&]() { attempt.wait(io.waitScope); });
    CHECK(failure != nullptr);
  }
  // A client trusting another certificate refuses pitd's.
  {
    auto other = trusting(stranger.certPem, &strangerCert);
    auto failure = kj::runCatchingExceptions([&]() {
      timer.timeoutAfter(kTimeout, RpcClient::connect(io.provider->getNetwork(), address, *other))
          .wait(io.waitScope);
    });
    REQUIRE(failure != nullptr);
    CHECK(std::string(KJ_ASSERT_NONNULL(failure).getDescription().cStr()).find("not trusted") !=
          std::string::npos);
  }

  // The first session is untouched, and a new TLS client is served.
  CHECK(session.scopesRequest().send().wait(io.waitScope).getScopes().size() > 0);
  auto again = timer.timeoutAfter(kTimeout, RpcClient::connect(io.provider->getNetwork(),
                                                                address, *tls))
                   .wait(io.waitScope);
  CHECK(again->login(key).wait(io.waitScope).session != nullptr);
  const std::string log = readFile(dir.sub("pitd.log"));
  CHECK(log.find("tls handshake failed protocol=rpc") != std::string::npos);
  CHECK(log.find(token) == std::string::npos);
  CHECK(pitd.stop() == 0);
}
