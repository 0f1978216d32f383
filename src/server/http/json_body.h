#pragma once
// Strict decoding of JSON request bodies into the request structs of server/api.capnp, with the
// Cap'n Proto codec (unknown fields rejected). Before the codec runs, the body is checked for
// what the codec would either accept silently or reject without naming the field: invalid UTF-8,
// raw NUL bytes (the codec stops reading at one), a top level that is not an object, duplicate or
// unknown fields, values of the wrong JSON type (null included), and missing required fields.
// Each failure is a 400, naming the field when there is one.
#include <capnp/compat/json.h>
#include <capnp/dynamic.h>
#include <capnp/message.h>

#include <initializer_list>
#include <optional>
#include <string_view>

#include "commands/result.h"

namespace pitlog::server::http {

std::optional<commands::Error> decodeJsonBody(const capnp::JsonCodec& codec, std::string_view body,
                                              std::initializer_list<std::string_view> required,
                                              capnp::DynamicStruct::Builder out);

// Text JSON produced elsewhere (events/event_json.h) as a Json.Value, to nest in a reply.
// Throws kj::Exception when it is not JSON: that is a bug of its producer.
void decodeJsonValue(const capnp::JsonCodec& codec, std::string_view json,
                     capnp::JsonValue::Builder out);

template <typename T>
std::optional<commands::Error> decodeJsonBody(const capnp::JsonCodec& codec, std::string_view body,
                                              std::initializer_list<std::string_view> required,
                                              typename T::Builder out) {
  return decodeJsonBody(codec, body, required, capnp::DynamicStruct::Builder(out));
}

}  // namespace pitlog::server::http
