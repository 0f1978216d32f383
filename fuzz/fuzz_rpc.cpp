// libFuzzer target: pitd's RPC port (server/rpc: serveRpc, its Gateway and Session) fed hostile
// parameter structs. Each input is one call of a Session method whose parameters are raw words
// the fuzzer chooses (tests/server/rpc/hostile_call.h has the format; its hand-built seeds are
// the corpus's start: a name sent as a struct pointer, text without its NUL, the actor as a list,
// scopes as bytes, a capability where text belongs, nesting 70-200 deep), sent over a real
// loopback connection by a client that logged in with the service key.
//
// Built once per process: one event loop, one engine on a temp data dir (scratch_engine.h)
// holding an integration, served by serveRpc as pitd serves it.
//
// Oracles beyond ASan/UBSan/LSan:
//   - no answer is `internal`, and no call fails as an RPC exception: a malformed message is the
//     client's fault (invalid_argument), never pitd's;
//   - after every call the session still answers (the connection survived).
#include <kj/async-io.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "hostile_call.h"
#include "scratch_engine.h"
#include "server/rpc/rpc_client.h"
#include "server/rpc/rpc_server.h"

using namespace pitlog;

namespace {

constexpr const char* kServiceKey = "fuzz-service-key-0123456789";
// Inputs past the parameter struct's size add nothing.
constexpr size_t kMaxInput =
    1 + (rpc::testing::kDataWords + rpc::testing::kPointerWords) * sizeof(capnp::word);

struct Harness {
  kj::AsyncIoContext io = kj::setupAsyncIo();
  fuzz::ScratchEngine scratch{"pitlog-fuzz-rpc"};
  kj::Own<kj::ConnectionReceiver> listener;
  kj::Promise<void> serving = nullptr;
  kj::Own<rpc::RpcClient> client;
  rpc::schema::Session::Client session = nullptr;

  Harness() { start(); }

  void start() {
    scratch.open();
    scratch.seed("acme", commands::CreateIntegration{"Zapier", "sync", {"contacts.readonly"}});

    listener = io.provider->getNetwork().parseAddress("127.0.0.1", 0).wait(io.waitScope)->listen();
    serving = rpc::serveRpc(*listener, scratch.engine(),
                            [](std::string_view key) { return key == kServiceKey; },
                            io.provider->getTimer())
                  .eagerlyEvaluate([](kj::Exception&& e) {
                    std::fprintf(stderr, "serveRpc failed: %s\n", e.getDescription().cStr());
                    std::abort();
                  });
    client = rpc::RpcClient::connect(io.provider->getNetwork(),
                                     kj::str("127.0.0.1:", listener->getPort()))
                 .wait(io.waitScope);
    auto login = client->login(kServiceKey).wait(io.waitScope);
    KJ_IF_MAYBE(s, login.session) {
      session = *s;
    } else {
      std::abort();
    }
  }

  void stop() {
    session = nullptr;
    client = nullptr;
    serving = nullptr;
    listener = nullptr;
    scratch.close();
  }
};

[[noreturn]] void finding(const char* what, const std::string& detail) {
  fuzz::finding("fuzz_rpc", what, detail);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::installHarness<Harness>();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > kMaxInput) return -1;  // not added to the corpus
  Harness& h = fuzz::installHarness<Harness>();
  if (h.scratch.full()) {
    h.stop();
    h.start();
  }
  auto outcome = rpc::testing::callWithRawParams(
      h.session, data[0], kj::arrayPtr(data + 1, size - 1), h.io.waitScope);
  if (outcome.code == "internal") finding("a call answered internal", outcome.field);
  if (outcome.code.rfind("exception", 0) == 0) finding("a call failed as an RPC exception", outcome.code);
  // The session survived: a call that cannot fail still answers.
  h.session.scopesRequest().send().wait(h.io.waitScope);
  return 0;
}
