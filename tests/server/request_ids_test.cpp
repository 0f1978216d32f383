// RequestIds: the shape pitd has always given its ids, and no repeats across pool refills.
#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "server/http/request_ids.h"

using pitlog::server::http::RequestIds;

TEST_CASE("request ids are 16 lowercase hex digits and never repeat, across pool refills") {
  RequestIds ids;
  std::set<std::string> seen;
  const size_t perPool = RequestIds::kPoolBytes / RequestIds::kIdBytes;
  for (size_t i = 0; i < 3 * perPool + 1; ++i) {
    const std::string id = ids.next();
    REQUIRE(id.size() == 16);
    REQUIRE(id.find_first_not_of("0123456789abcdef") == std::string::npos);
    REQUIRE(seen.insert(id).second);
  }
}
