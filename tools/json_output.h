#pragma once
// JSON output of the tools through Cap'n Proto's JSON codec (tool_json.capnp), never by hand.
#include <capnp/compat/json.h>
#include <capnp/message.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "tool_json.capnp.h"

namespace pitlog::tools {

// One codec for every tool schema, built once; encode and decode are const.
const capnp::JsonCodec& jsonCodec();

// Single-line JSON of a message built against a tool_json.capnp struct.
template <typename Reader>
std::string toJson(Reader reader) {
  auto text = jsonCodec().encode(reader);
  return std::string(text.cStr(), text.size());
}

// The UInt32 sequence fields: a larger sequence is refused rather than truncated.
uint32_t seqField(uint64_t seq);

// Json.Value fields: a string, or null when absent.
void setStringOrNull(capnp::JsonValue::Builder value, const std::optional<std::string>& text);

}  // namespace pitlog::tools
