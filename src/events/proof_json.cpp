#include "events/proof_json.h"

#include <capnp/compat/json.h>
#include <capnp/message.h>
#include <kj/exception.h>

#include <cmath>
#include <map>

namespace pitlog::events {
namespace {

// Numbers and lower-case hex only: nothing to escape.
std::string hexList(const std::vector<merkle::Hash>& hashes) {
  std::string out = "[";
  for (size_t i = 0; i < hashes.size(); ++i) {
    if (i > 0) out += ',';
    out += '"' + toHex(hashes[i]) + '"';
  }
  return out + "]";
}

bool isLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// The largest integer a JSON number (an IEEE double) carries exactly.
constexpr double kMaxExactInteger = 9007199254740992.0;  // 2^53

std::optional<std::string> readCount(capnp::JsonValue::Reader v, const std::string& name,
                                     uint64_t* out) {
  if (!v.isNumber()) return "the proof's \"" + name + "\" is not a number";
  double d = v.getNumber();
  if (!(d >= 0) || d >= kMaxExactInteger || std::floor(d) != d) {
    return "the proof's \"" + name + "\" is not a whole number below 2^53";
  }
  *out = static_cast<uint64_t>(d);
  return std::nullopt;
}

std::optional<std::string> readHashes(capnp::JsonValue::Reader v,
                                      std::vector<merkle::Hash>* out) {
  if (!v.isArray()) return std::string("the proof's \"hashes\" is not an array");
  size_t i = 0;
  for (auto item : v.getArray()) {
    ++i;
    std::optional<Digest> hash;
    if (item.isString()) {
      std::string_view hex(item.getString().cStr(), item.getString().size());
      if (hex.size() == 64 && isLowerHex(hex)) hash = digestFromHex(hex);
    }
    if (!hash) {
      return "the proof's hash " + std::to_string(i) + " is not 64 lower-case hex digits";
    }
    out->push_back(*hash);
  }
  return std::nullopt;
}

}  // namespace

std::string inclusionProofJson(uint64_t leafIndex, uint64_t treeSize,
                               const std::vector<merkle::Hash>& hashes) {
  return "{\"leafIndex\":" + std::to_string(leafIndex) + ",\"treeSize\":" +
         std::to_string(treeSize) + ",\"hashes\":" + hexList(hashes) + "}";
}

std::string consistencyProofJson(uint64_t from, uint64_t to,
                                 const std::vector<merkle::Hash>& hashes) {
  return "{\"from\":" + std::to_string(from) + ",\"to\":" + std::to_string(to) +
         ",\"hashes\":" + hexList(hashes) + "}";
}

ProofParse parseProofJson(std::string_view json) {
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<capnp::JsonValue>();
  capnp::JsonCodec codec;
  codec.setMaxNestingDepth(4);
  if (kj::runCatchingExceptions([&] {
        codec.decodeRaw(kj::ArrayPtr<const char>(json.data(), json.size()), root);
      }) != nullptr) {
    return {std::nullopt, "the proof is not JSON"};
  }
  auto value = root.asReader();
  if (!value.isObject()) return {std::nullopt, "the proof is not a JSON object"};
  std::map<std::string, capnp::JsonValue::Reader> fields;
  for (auto f : value.getObject()) {
    std::string name = f.getName();
    if (name != "leafIndex" && name != "treeSize" && name != "from" && name != "to" &&
        name != "hashes") {
      return {std::nullopt, "the proof has an unknown field \"" + name + "\""};
    }
    if (!fields.emplace(name, f.getValue()).second) {
      return {std::nullopt, "the proof has the field \"" + name + "\" twice"};
    }
  }
  const bool inclusion = fields.count("leafIndex") && fields.count("treeSize") &&
                         !fields.count("from") && !fields.count("to");
  const bool consistency = fields.count("from") && fields.count("to") &&
                           !fields.count("leafIndex") && !fields.count("treeSize");
  if (!(inclusion || consistency) || !fields.count("hashes")) {
    return {std::nullopt,
            "the proof is neither {\"leafIndex\",\"treeSize\",\"hashes\"} nor "
            "{\"from\",\"to\",\"hashes\"}"};
  }
  std::vector<merkle::Hash> hashes;
  if (auto e = readHashes(fields.at("hashes"), &hashes)) return {std::nullopt, *e};
  if (inclusion) {
    InclusionProof p;
    if (auto e = readCount(fields.at("leafIndex"), "leafIndex", &p.leafIndex)) return {std::nullopt, *e};
    if (auto e = readCount(fields.at("treeSize"), "treeSize", &p.treeSize)) return {std::nullopt, *e};
    p.hashes = std::move(hashes);
    return {std::move(p), {}};
  }
  ConsistencyProof p;
  if (auto e = readCount(fields.at("from"), "from", &p.from)) return {std::nullopt, *e};
  if (auto e = readCount(fields.at("to"), "to", &p.to)) return {std::nullopt, *e};
  p.hashes = std::move(hashes);
  return {std::move(p), {}};
}

}  // namespace pitlog::events
