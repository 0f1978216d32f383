#include "server/http/json_body.h"

#include <kj/exception.h>

#include <algorithm>
#include <set>
#include <string>

#include "commands/validate.h"
#include "server/http/json_escapes.h"

namespace pitlog::server::http {

namespace {

using capnp::JsonValue;
using commands::invalidArgument;

const char* expectedName(capnp::Type type) {
  switch (type.which()) {
    case capnp::schema::Type::TEXT: return "a string";
    case capnp::schema::Type::BOOL: return "true or false";
    case capnp::schema::Type::LIST: return "an array of strings";
    default: return "of another type";
  }
}

bool hasType(capnp::Type type, JsonValue::Reader value) {
  switch (type.which()) {
    case capnp::schema::Type::TEXT:
      return value.isString();
    case capnp::schema::Type::BOOL:
      return value.isBoolean();
    case capnp::schema::Type::LIST: {
      if (!value.isArray()) return false;
      auto elementType = type.asList().getElementType();
      if (elementType.which() != capnp::schema::Type::TEXT) return false;
      // capnp's list iterators lack iterator_traits, so no <algorithm> here.
      for (auto item : value.getArray()) {
        if (!item.isString()) return false;
      }
      return true;
    }
    default:
      return false;  // request structs use only the types above
  }
}

// A client's field name as an error may repeat it: short printable ASCII only.
std::string shown(const std::string& name) {
  bool plain = name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
                 return c > 0x20 && c < 0x7f;
               });
  return plain ? name : std::string("(unprintable)");
}

}  // namespace

std::optional<commands::Error> decodeJsonBody(const capnp::JsonCodec& codec, std::string_view body,
                                              std::initializer_list<std::string_view> required,
                                              capnp::DynamicStruct::Builder out) {
  if (!commands::isValidUtf8(body)) return invalidArgument("the body is not valid UTF-8");
  // JSON has no raw NUL anywhere (in a string it must be escaped as \u0000), and
  // Cap'n Proto's parser takes one for the end of its input: `{...}\0anything` would pass.
  if (body.find('\0') != std::string_view::npos) {
    return invalidArgument("the body is not valid JSON: it holds a NUL byte");
  }
  std::string error;
  auto text = rewriteUnicodeEscapes(body, &error);
  if (!text) return invalidArgument("the body is not valid JSON: " + error);

  capnp::MallocMessageBuilder scratch;
  auto raw = scratch.initRoot<JsonValue>();
  bool parsed = true;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() {
                codec.decodeRaw(kj::arrayPtr(text->data(), text->size()), raw);
              })) {
    (void)e;  // the codec's wording names its internals; ours names the rule
    parsed = false;
  }
  if (!parsed) return invalidArgument("the body is not valid JSON");
  if (!raw.isObject()) return invalidArgument("the body must be a JSON object");

  const capnp::StructSchema schema = out.getSchema();
  std::set<std::string, std::less<>> seen;
  for (auto field : raw.asReader().getObject()) {
    std::string name = shown(std::string(field.getName().cStr(), field.getName().size()));
    if (!seen.insert(name).second) return invalidArgument("field '" + name + "' appears twice", name);
    KJ_IF_MAYBE(member, schema.findFieldByName(field.getName())) {
      if (!hasType(member->getType(), field.getValue())) {
        return invalidArgument("field '" + name + "' must be " + expectedName(member->getType()),
                               name);
      }
    } else {
      return invalidArgument("unknown field '" + name + "'", name);
    }
  }
  for (auto name : required) {
    if (seen.find(name) == seen.end()) {
      return invalidArgument("field '" + std::string(name) + "' is required", std::string(name));
    }
  }
  bool decoded = true;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() { codec.decode(raw.asReader(), out); })) {
    (void)e;
    decoded = false;
  }
  if (!decoded) return invalidArgument("the body does not match the request's shape");
  return std::nullopt;
}

void decodeJsonValue(const capnp::JsonCodec& codec, std::string_view json,
                     capnp::JsonValue::Builder out) {
  std::string error;
  auto text = rewriteUnicodeEscapes(json, &error);
  KJ_REQUIRE(text != std::nullopt, "JSON from our own encoder has a bad \\u escape", error);
  codec.decodeRaw(kj::arrayPtr(text->data(), text->size()), out);
}

}  // namespace pitlog::server::http
