// Hand-built hostile RPC messages (hostile_call.h): each is refused as the client's fault,
// invalid_argument, never `internal` and never an RPC exception, changes nothing, and leaves the
// session serving.
#include <catch2/catch.hpp>

#include "hostile_call.h"
#include "rpc_harness.h"

using namespace pitlog;
using namespace pitlog::rpc::testing;

TEST_CASE("hostile messages: a malformed parameter struct is invalid_argument, and the session "
          "goes on") {
  Harness h;
  const auto alice = admin();
  REQUIRE(h.create(alice, "Existing", {"contacts.readonly"}).ok());
  const auto seq = h.engine().lastSeq();

  for (const auto& seed : hostileSeeds()) {
    INFO(seed.name << " (" << seed.method << ")");
    auto outcome = callWithRawParams(h.session(), seed.input[0],
                                     kj::arrayPtr(seed.input.data() + 1, seed.input.size() - 1),
                                     h.waitScope());
    CHECK(outcome.code == "invalid_argument");
  }
  CHECK(h.engine().lastSeq() == seq);
  // The same session still serves.
  auto listed = h.list(alice);
  REQUIRE(listed.ok());
  CHECK(listed.integrations.size() == 1);
}

TEST_CASE("hostile messages: zeroed parameters of every method are read as defaults, never "
          "internal") {
  Harness h;
  const std::vector<kj::byte> zeros(8, 0);
  for (uint16_t m = 0; m < sessionMethodCount(); ++m) {
    INFO("method " << m);
    auto outcome = callWithRawParams(h.session(), m, kj::arrayPtr(zeros.data(), zeros.size()),
                                     h.waitScope());
    CHECK(outcome.code.rfind("exception", 0) == std::string::npos);
    CHECK(outcome.code != "internal");
  }
}
