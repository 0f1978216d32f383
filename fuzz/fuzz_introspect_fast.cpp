// Differential: introspection read and answered by hand (server/http/introspect_fast.h) against
// the strict JSON codec it stands in for. The first input byte picks the half:
//   even: the rest is a request body. Whenever the hand reader accepts it, the strict decoder
//         must accept it too and read the same token and requiredScope.
//   odd:  the rest describes a verification (texts split at NUL bytes, then numbers). Whenever
//         the hand writer renders it, its bytes must equal the codec's.
#include <capnp/message.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "server/api.capnp.h"
#include "server/http/introspect_fast.h"
#include "server/http/json_body.h"
#include "server/http/render.h"

using namespace pitlog;
using namespace pitlog::server::http;

namespace {

const Renderer& renderer() {
  static const Renderer r;
  return r;
}

void checkRequest(std::string_view body) {
  auto plain = parsePlainIntrospectRequest(body);
  if (!plain) return;
  capnp::MallocMessageBuilder m;
  auto strict = m.initRoot<api::IntrospectRequest>();
  if (decodeJsonBody<api::IntrospectRequest>(renderer().strictCodec(), body, {"token"}, strict)) {
    __builtin_trap();  // read by hand, refused by the codec
  }
  if (plain->token != std::string_view(strict.getToken().cStr())) __builtin_trap();
  if (plain->requiredScope.has_value() != strict.hasRequiredScope()) __builtin_trap();
  if (plain->requiredScope &&
      *plain->requiredScope != std::string_view(strict.getRequiredScope().cStr())) {
    __builtin_trap();
  }
}

int64_t takeNumber(std::string_view* rest) {
  int64_t n = 0;
  const size_t k = std::min(rest->size(), sizeof n);
  std::memcpy(&n, rest->data(), k);
  rest->remove_prefix(k);
  return n;
}

void checkAnswer(std::string_view rest) {
  std::vector<std::string> texts;
  for (int i = 0; i < 3; ++i) {
    const size_t end = std::min(rest.find('\0'), rest.size());
    texts.emplace_back(rest.substr(0, end));
    rest.remove_prefix(std::min(end + 1, rest.size()));
  }
  const int64_t flags = takeNumber(&rest);
  const int64_t issuedAt = takeNumber(&rest);
  const int64_t expiresAt = takeNumber(&rest);
  auto set = std::make_shared<const projections::ScopeSet>(
      projections::ScopeSet{{texts[0]}, texts[0]});
  // Integration ids reach a grant validated: at most 64 characters.
  auto grant = std::make_shared<const projections::Grant>(
      std::make_shared<const std::string>(texts[1]), texts[2].substr(0, 64), set);
  commands::Verification v;
  v.active = flags & 1;
  if (v.active) v.grant = grant;
  v.issuedAt = issuedAt;
  if (flags & 2) v.expiresAt = expiresAt;
  if (flags & 4) v.allowed = (flags & 8) != 0;
  auto plain = renderPlainIntrospection(v);
  if (plain && *plain != renderer().introspectionByCodec(v)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    checkRequest(rest);
  } else {
    checkAnswer(rest);
  }
  return 0;
}
