#include "json_output.h"

#include <kj/debug.h>

namespace pitlog::tools {

const capnp::JsonCodec& jsonCodec() {
  static const capnp::JsonCodec* instance = [] {
    auto* c = new capnp::JsonCodec();  // never destroyed: no order-of-destruction trap at exit
    c->handleByAnnotation<json::Checkpoint>();
    c->handleByAnnotation<json::DumpStats>();
    c->handleByAnnotation<json::AsOfReport>();
    c->handleByAnnotation<json::TrailEntry>();
    return c;
  }();
  return *instance;
}

uint32_t seqField(uint64_t seq) {
  KJ_REQUIRE(seq <= std::numeric_limits<uint32_t>::max(), seq,
             "sequence too large for a JSON UInt32 field");
  return static_cast<uint32_t>(seq);
}

void setStringOrNull(capnp::JsonValue::Builder value, const std::optional<std::string>& text) {
  if (text) {
    value.setString(*text);
  } else {
    value.setNull();
  }
}

}  // namespace pitlog::tools
