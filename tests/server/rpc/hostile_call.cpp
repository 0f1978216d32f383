#include "hostile_call.h"

#include <capnp/dynamic.h>
#include <capnp/schema.h>
#include <kj/debug.h>

#include <cstring>
#include <optional>

namespace pitlog::rpc::testing {

namespace {

capnp::InterfaceSchema sessionSchema() { return capnp::Schema::from<schema::Session>(); }

uint16_t ordinalOf(kj::StringPtr method) {
  KJ_IF_MAYBE(m, sessionSchema().findMethodByName(method)) { return m->getOrdinal(); }
  KJ_FAIL_REQUIRE("no such Session method", method);
}

// The error code a result holds: in a `result` struct's union, or in an `error` field of its own.
HostileOutcome outcomeOf(capnp::DynamicStruct::Reader s) {
  auto read = [&](capnp::StructSchema::Field f) -> std::optional<HostileOutcome> {
    const auto name = f.getProto().getName();
    if (f.getType().which() != capnp::schema::Type::STRUCT && !f.getProto().isGroup()) {
      return std::nullopt;
    }
    if (name == "error") {
      if (!s.has(f)) return std::nullopt;
      auto e = s.get(f).as<capnp::DynamicStruct>().as<schema::Error>();
      return HostileOutcome{std::string(e.getCode().cStr()), std::string(e.getField().cStr())};
    }
    if (name == "result") return outcomeOf(s.get(f).as<capnp::DynamicStruct>());
    return std::nullopt;
  };
  KJ_IF_MAYBE(member, s.which()) {
    if (auto o = read(*member)) return *o;
  }
  for (auto f : s.getSchema().getNonUnionFields()) {
    if (auto o = read(f)) return *o;
  }
  return {"ok", ""};
}

// One seed under construction: the fuzz format's bytes, as words.
class SeedBuilder {
 public:
  explicit SeedBuilder(kj::StringPtr method) : method_(ordinalOf(method)) {}

  // Pointer slot `i` (of the pointer section) holds `word`.
  SeedBuilder& pointer(size_t i, uint64_t word) {
    words_.at(kDataWords + i) = word;
    return *this;
  }
  // A struct pointer in slot `from` to a struct starting at slot `to`.
  SeedBuilder& structAt(size_t from, size_t to, uint16_t dataWords, uint16_t pointers) {
    return pointer(from, lower(from, to, 0) | uint64_t(dataWords | uint32_t(pointers) << 16) << 32);
  }
  // A list pointer in slot `from` to `count` elements of `elementSize` (capnp's ElementSize)
  // starting at slot `to`.
  SeedBuilder& listAt(size_t from, size_t to, uint8_t elementSize, uint32_t count) {
    return pointer(from, lower(from, to, 1) | uint64_t(elementSize | count << 3) << 32);
  }
  // A capability pointer in slot `from`, naming entry `index` of the (empty) capability table.
  SeedBuilder& capability(size_t from, uint32_t index) {
    return pointer(from, 3 | uint64_t(index) << 32);
  }
  // Raw bytes in slot `at` (at most 8).
  SeedBuilder& bytes(size_t at, const char* text) {
    uint64_t word = 0;
    std::memcpy(&word, text, std::min<size_t>(8, std::strlen(text)));
    return pointer(at, word);
  }

  std::vector<kj::byte> input() const {
    std::vector<kj::byte> out(1 + words_.size() * 8);
    out[0] = static_cast<kj::byte>(method_);
    std::memcpy(out.data() + 1, words_.data(), words_.size() * 8);
    return out;
  }

 private:
  static uint64_t lower(size_t from, size_t to, uint32_t kind) {
    const int64_t offset = int64_t(to) - int64_t(from) - 1;  // from the end of the pointer
    return uint32_t(offset * 4) | kind;
  }

  uint16_t method_;
  std::vector<uint64_t> words_ = std::vector<uint64_t>(kDataWords + kPointerWords, 0);
};

constexpr uint8_t kByte = 2, kPointer = 6;
constexpr size_t kArena = 16;  // the first pointer slot past every method's fields

HostileSeed nestedChain(kj::StringPtr method, size_t spareSlot, size_t depth) {
  SeedBuilder b(method);
  b.structAt(spareSlot, kArena, 0, 1);
  for (size_t k = kArena; k + 1 < kArena + depth; ++k) b.structAt(k, k + 1, 0, 1);
  return {"a struct chain nested " + std::to_string(depth) + " deep", method.cStr(), b.input()};
}

}  // namespace

uint16_t sessionMethodCount() { return static_cast<uint16_t>(sessionSchema().getMethods().size()); }

HostileOutcome callWithRawParams(schema::Session::Client& session, uint16_t method,
                                 kj::ArrayPtr<const kj::byte> bytes, kj::WaitScope& waitScope) {
  const auto methods = sessionSchema().getMethods();
  const auto m = methods[method % methods.size()];
  auto request = session.typelessRequest(capnp::typeId<schema::Session>(), m.getOrdinal(),
                                         nullptr);
  auto params = request.initAsAnyStruct(kDataWords, kPointerWords);
  // The data section and the pointer section follow each other in the message's memory.
  kj::byte* raw = params.getDataSection().begin();
  const size_t size = (kDataWords + kPointerWords) * sizeof(capnp::word);
  std::memset(raw, 0, size);
  std::memcpy(raw, bytes.begin(), std::min(size, bytes.size()));

  HostileOutcome outcome;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() {
                auto response = request.send().wait(waitScope);
                outcome = outcomeOf(response.getAs<capnp::DynamicStruct>(m.getResultType()));
              })) {
    outcome = {"exception: " + std::string(e->getDescription().cStr()), ""};
  }
  return outcome;
}

std::vector<HostileSeed> hostileSeeds() {
  std::vector<HostileSeed> seeds;
  auto add = [&](std::string name, const char* method, const SeedBuilder& b) {
    seeds.push_back({std::move(name), method, b.input()});
  };
  // create(actor p0, options p1, name p2, description p3, scopes p4)
  add("name sent as a struct pointer", "create", SeedBuilder("create").structAt(2, kArena, 1, 0));
  add("name without its NUL", "create",
      SeedBuilder("create").listAt(2, kArena, kByte, 8).bytes(kArena, "abcdefgh"));
  add("the actor as a list", "create",
      SeedBuilder("create").listAt(0, kArena, kByte, 4).bytes(kArena, "acme"));
  add("scopes as bytes", "create",
      SeedBuilder("create").listAt(4, kArena, kByte, 8).bytes(kArena, "contacts"));
  add("a capability where the name belongs", "create", SeedBuilder("create").capability(2, 0));
  add("a scope sent as a struct", "create",
      SeedBuilder("create").listAt(4, kArena, kPointer, 1).structAt(kArena, kArena + 1, 1, 0));
  add("a name pointing out of the message", "create",
      SeedBuilder("create").structAt(2, 1u << 20, 1, 0));
  seeds.push_back(nestedChain("create", 5, 70));
  seeds.push_back(nestedChain("create", 5, 200));
  // edit(actor p0, options p1, integrationId p2, name p3 :OptionalText, description p4, scopes p5)
  add("an optional name sent as a list", "edit", SeedBuilder("edit").listAt(3, kArena, kByte, 0));
  add("the options as text", "edit",
      SeedBuilder("edit").listAt(1, kArena, kByte, 8).bytes(kArena, "options"));
  seeds.push_back(nestedChain("edit", 6, 120));
  // list(actor p0, staleAfter p1)
  add("the actor as a capability", "list", SeedBuilder("list").capability(0, 7));
  // audit(actor p0, since p1, until p2; after and limit in the data section)
  add("since without its NUL", "audit",
      SeedBuilder("audit").listAt(1, kArena, kByte, 8).bytes(kArena, "2026-11-"));
  // getPermission(actor p0, userId p1) and setPermission(actor p0, options p1, userId p2)
  add("a user id as a struct", "setPermission", SeedBuilder("setPermission").structAt(2, kArena, 0, 0));
  // introspect(token p0, requiredScope p1 :OptionalText): no guard before this fix.
  add("a token sent as a struct pointer", "introspect",
      SeedBuilder("introspect").structAt(0, kArena, 1, 0));
  add("a required scope as bytes", "introspect",
      SeedBuilder("introspect").listAt(1, kArena, kByte, 8).bytes(kArena, "contacts"));
  seeds.push_back(nestedChain("introspect", 2, 200));
  return seeds;
}

}  // namespace pitlog::rpc::testing
