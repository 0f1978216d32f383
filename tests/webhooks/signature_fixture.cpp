// The C++ side of the independent signature check (standardwebhooks_check.mjs):
//   signature_fixture sign     prints one JSON object per line, {secret, id, timestamp,
//                              bodyBase64, signature}, each signed by src/webhooks now;
//   signature_fixture verify SECRET ID TIMESTAMP BODY_BASE64 SIGNATURES
//                              exits 0 when verifyMessage() accepts, else 1 with the reason.
// Bodies travel as base64 so that every byte reaches the other side unchanged.
#include "webhooks/signature.h"

#include <ctime>
#include <iostream>
#include <string>

#include <kj/encoding.h>

using namespace pitlog::webhooks;

namespace {

kj::ArrayPtr<const kj::byte> bytes(const std::string& s) {
  return kj::arrayPtr(reinterpret_cast<const kj::byte*>(s.data()), s.size());
}

std::string base64(const std::string& s) {
  kj::String text = kj::encodeBase64(bytes(s));
  return std::string(text.cStr(), text.size());
}

void printCase(const std::string& key, const std::string& id, const std::string& body) {
  const int64_t now = std::time(nullptr);
  std::cout << R"({"secret":")" << formatSecret(key) << R"(","id":")" << id
            << R"(","timestamp":)" << now << R"(,"bodyBase64":")" << base64(body)
            << R"(","signature":")" << signMessage(bytes(key), id, now, body) << "\"}\n";
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "sign" && argc == 2) {
    printCase(generateSigningKey(), "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
              R"({"type":"token.rotated","timestamp":"2026-11-28T17:00:00.000Z",)"
              R"("data":{"accountId":"acme","integrationId":"int_1",)"
              R"("tokenId":"0123456789abcdef"}})");
    printCase(generateSigningKey(), "evt_00000000000000000000000000000007",
              "{\"name\":\"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x94\x91\",\n\t\"dots\":\"a.b.c\"}");
    printCase(std::string(24, '\x01'), "msg_shortest_key", "{}");
    printCase(std::string(64, '\xfe'), "msg_longest_key", R"({"k":"v"})");
    printCase(generateSigningKey(), "msg_empty_body", "");
    return 0;
  }
  if (mode == "verify" && argc == 7) {
    ParsedSecret secret = parseSecret(argv[2]);
    if (!secret.ok()) {
      std::cerr << secret.error << "\n";
      return 1;
    }
    auto body = kj::decodeBase64(kj::StringPtr(argv[5]));
    std::string bodyText(reinterpret_cast<const char*>(body.begin()), body.size());
    Verification v = verifyMessage(bytes(secret.key), argv[3], argv[4], bodyText, argv[6],
                                   std::time(nullptr));
    if (!v.valid) std::cerr << v.reason << "\n";
    return v.valid ? 0 : 1;
  }
  std::cerr << "usage: signature_fixture sign | verify SECRET ID TIMESTAMP BODY_BASE64 SIGS\n";
  return 2;
}
