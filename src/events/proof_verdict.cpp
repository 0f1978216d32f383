#include "events/proof_verdict.h"

#include <capnp/compat/json.h>
#include <capnp/message.h>
#include <kj/exception.h>

#include <cmath>

namespace pitlog::events {

namespace {

ProofVerdict failed(std::string why) { return {false, std::move(why)}; }

}  // namespace

EventLeafParse parseEventLeaf(std::string_view json) {
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<capnp::JsonValue>();
  capnp::JsonCodec codec;
  if (kj::runCatchingExceptions([&] {
        codec.decodeRaw(kj::ArrayPtr<const char>(json.data(), json.size()), root);
      }) != nullptr) {
    return {std::nullopt, "the event is not JSON"};
  }
  auto value = root.asReader();
  if (!value.isObject()) return {std::nullopt, "the event is not a JSON object"};
  std::optional<uint64_t> seq;
  std::optional<Digest> hash;
  for (auto f : value.getObject()) {
    auto v = f.getValue();
    if (f.getName() == "seq") {
      if (seq) return {std::nullopt, "the event has \"seq\" twice"};
      double d = v.isNumber() ? v.getNumber() : -1;
      if (!(d >= 1) || d >= 9007199254740992.0 || std::floor(d) != d) {
        return {std::nullopt, "the event's \"seq\" is not a whole number from 1"};
      }
      seq = static_cast<uint64_t>(d);
    } else if (f.getName() == "hash") {
      if (hash) return {std::nullopt, "the event has \"hash\" twice"};
      if (v.isString()) {
        std::string_view hex(v.getString().cStr(), v.getString().size());
        if (digestFromHex(hex) && toHex(*digestFromHex(hex)) == hex) {
          hash = digestFromHex(hex);
        }
      }
      if (!hash) return {std::nullopt, "the event's \"hash\" is not 64 lower-case hex digits"};
    }
  }
  if (!seq) return {std::nullopt, "the event has no \"seq\""};
  if (!hash) return {std::nullopt, "the event has no \"hash\""};
  return {EventLeaf{*seq, *hash}, {}};
}

ProofVerdict checkInclusion(const Checkpoint& checkpoint, const InclusionProof& proof,
                            std::string_view eventJson) {
  auto event = parseEventLeaf(eventJson);
  if (!event.leaf) return failed("event: " + event.error);
  if (proof.treeSize != checkpoint.treeSize) {
    return failed("proof: it is for a tree of size " + std::to_string(proof.treeSize) +
                  "; the checkpoint's tree has size " + std::to_string(checkpoint.treeSize));
  }
  // Leaf n-1 is the event of seq n (API.md "Log proofs").
  if (event.leaf->seq != proof.leafIndex + 1) {
    return failed("event: its seq is " + std::to_string(event.leaf->seq) +
                  "; the proof is for leaf " + std::to_string(proof.leafIndex) +
                  ", the event of seq " + std::to_string(proof.leafIndex + 1));
  }
  const merkle::Hash leaf = merkle::eventLeafHash(event.leaf->hash);
  auto verdict =
      merkle::verifyInclusion(proof.leafIndex, proof.treeSize, leaf, proof.hashes, checkpoint.root);
  if (!verdict) {
    return failed("inclusion of event " + std::to_string(event.leaf->seq) + " (leaf hash " +
                  toHex(leaf) + "): " + verdict.failure);
  }
  return {true, "event " + std::to_string(event.leaf->seq) + " (hash " + toHex(event.leaf->hash) +
                    ") is in the log of " + std::to_string(checkpoint.treeSize) + " events that " +
                    checkpoint.origin + "'s checkpoint signs (root " + toHex(checkpoint.root) +
                    ")"};
}

ProofVerdict checkConsistency(const Checkpoint& old, const Checkpoint& now,
                              const ConsistencyProof& proof) {
  if (old.origin != now.origin) {
    return failed("old checkpoint: it is of the log '" + old.origin + "', not '" + now.origin +
                  "'");
  }
  if (proof.from != old.treeSize || proof.to != now.treeSize) {
    return failed("proof: it is from size " + std::to_string(proof.from) + " to " +
                  std::to_string(proof.to) + "; the checkpoints have sizes " +
                  std::to_string(old.treeSize) + " and " + std::to_string(now.treeSize));
  }
  auto verdict =
      merkle::verifyConsistency(old.treeSize, now.treeSize, old.root, now.root, proof.hashes);
  if (!verdict) return failed("consistency: " + verdict.failure);
  return {true, "the log of " + std::to_string(now.treeSize) + " events (root " + toHex(now.root) +
                    ") extends the checkpoint of " + std::to_string(old.treeSize) +
                    " events (root " + toHex(old.root) + ")"};
}

}  // namespace pitlog::events
