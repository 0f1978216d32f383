// The resolver the sender checks addresses with. Only names that never leave the machine: the
// hosts file's `localhost`, addresses' text, and a name the C library refuses to look up.
#include "webhooks/host_resolver.h"

#include <kj/async-io.h>

#include <catch2/catch.hpp>

#include <string>

using namespace pitlog::webhooks;

TEST_CASE("An address's text resolves to itself, without a lookup") {
  kj::AsyncIoContext io = kj::setupAsyncIo();
  Resolution v4 = resolveHost("127.0.0.1", 8443).wait(io.waitScope);
  REQUIRE(v4.addresses.size() == 1);
  CHECK(v4.addresses[0].text == "127.0.0.1");
  CHECK(v4.addresses[0].storage.ss_family == AF_INET);
  CHECK(v4.error.empty());
  Resolution v6 = resolveHost("::1", 8443).wait(io.waitScope);
  REQUIRE(v6.addresses.size() == 1);
  CHECK(v6.addresses[0].text == "::1");
}

TEST_CASE("A name is resolved off the event loop to every address, each once") {
  kj::AsyncIoContext io = kj::setupAsyncIo();
  Resolution r = resolveHost("localhost", 443).wait(io.waitScope);
  REQUIRE_FALSE(r.addresses.empty());
  for (const auto& a : r.addresses) {
    CHECK((a.text == "127.0.0.1" || a.text == "::1"));
    CHECK(a.length > 0);
  }
  if (r.addresses.size() == 2) CHECK(r.addresses[0].text != r.addresses[1].text);
}

TEST_CASE("A name that cannot be resolved gives no address and an error naming it") {
  kj::AsyncIoContext io = kj::setupAsyncIo();
  // A 64-character label: glibc refuses it without sending a query anywhere.
  const std::string host = std::string(64, 'a') + ".invalid";
  Resolution r = resolveHost(host, 443).wait(io.waitScope);
  CHECK(r.addresses.empty());
  CHECK(r.error.rfind("cannot resolve host " + host + ": ", 0) == 0);
}
