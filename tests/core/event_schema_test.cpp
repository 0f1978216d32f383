// DecodedEvent::decode() reads every Text of an event through generated getters (fast, and what
// proves each text terminated). These tests keep that list honest against the schema, and show
// that an unterminated text anywhere it names is refused at decode.
#include <capnp/schema.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>

#include "events/event.h"

namespace ev = pitlog::events;
using pitlog::schema::Event;

namespace {

bool isText(capnp::Type t) {
  return t.isText() || (t.isList() && t.asList().getElementType().isText());
}

// Every Text (or List(Text)) field reachable from a struct, as dotted paths; union members and
// groups are walked like structs.
void collectTextFields(capnp::StructSchema schema, const std::string& prefix,
                       std::set<std::string>& out) {
  for (auto field : schema.getFields()) {
    const std::string path = prefix + std::string(field.getProto().getName().cStr());
    auto type = field.getType();
    if (isText(type)) {
      out.insert(path);
    } else if (type.isStruct()) {
      collectTextFields(type.asStruct(), path + ".", out);
    }
  }
}

}  // namespace

TEST_CASE("event decode checks every Text field the schema has", "[events][decode]") {
  std::set<std::string> inSchema;
  collectTextFields(capnp::Schema::from<Event>(), "", inSchema);
  const auto& listed = ev::eventTextFields();
  std::set<std::string> checked(listed.begin(), listed.end());
  CHECK(checked.size() == listed.size());
  for (const auto& f : inSchema) {
    INFO("Text field " << f << " is not read by DecodedEvent::decode (add it to touchTexts and "
                          "eventTextFields)");
    CHECK(checked.count(f) == 1);
  }
  for (const auto& f : checked) {
    INFO("eventTextFields names " << f << ", which the schema does not have");
    CHECK(inSchema.count(f) == 1);
  }
}

TEST_CASE("event decode refuses an unterminated text in any field it checks", "[events][decode]") {
  ev::NewEvent created{"int_1", "acct-1",
                       ev::body::Created{"name-x", "desc-x", {"scope-x"}, {}, "hntx"}};
  ev::Envelope env;
  env.seq = 1;
  env.actor = {"acct-a", "user-x", ev::Role::admin};
  env.requestId = "req-x";
  const std::string good = ev::encodeEvent(created, env);
  REQUIRE(ev::DecodedEvent::decode(good, nullptr).has_value());
  // Each text's NUL terminator is the byte after its last character; overwrite it.
  for (std::string marker : {"int_1", "acct-1", "acct-a", "user-x", "req-x", "name-x", "desc-x", "scope-x",
                             "hntx"}) {
    std::string bad = good;
    size_t at = bad.find(marker + '\0');
    REQUIRE(at != std::string::npos);
    bad[at + marker.size()] = 'z';
    std::string error;
    INFO("unterminated " << marker);
    CHECK_FALSE(ev::DecodedEvent::decode(bad, &error).has_value());
    CHECK(!error.empty());
  }
}
