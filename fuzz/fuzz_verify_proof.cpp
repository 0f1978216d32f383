// pit-replay verify-proof's parsing and checking (events/proof_verdict.h, with openCheckpoint
// and parseProofJson, exactly as the tool calls them) on inputs one mutation away from a valid
// set (proof_inputs_seed.h). Besides "no crash, no hang", the oracle: a "yes" must never come
// from inputs that differ from the valid ones in what the signature and the hashes cover.
//
// Input: [selector:1][bytes]. The selector (modulo 5) names the one input the bytes replace:
// the checkpoint, the inclusion proof, the event, the old checkpoint or the consistency proof;
// the other four stay valid. Both verifications run on every input:
//   inclusion   = openCheckpoint(key, checkpoint) + parseProofJson(inclusion) + checkInclusion
//   consistency = openCheckpoint(key, old) + openCheckpoint(key, checkpoint) +
//                 parseProofJson(consistency) + checkConsistency
// and when either says ok, what it covers must be unchanged, or the run aborts (a finding):
//   - a signed checkpoint: its note text, the bytes before the signature block's blank line
//     (C2SP signed-note), byte for byte;
//   - a proof: its JSON value (indices, sizes, every hash, and no other member), compared after
//     JSON decoding, since whitespace and number spelling are not covered by anything;
//   - the event: its top-level "seq" and "hash" members, the only parts its leaf depends on (the
//     rest is covered by the hash chain, which verify-proof does not read).
// The oracle decodes JSON with Cap'n Proto's raw JSON codec, not with the parsers under test.
#include <capnp/compat/json.h>
#include <capnp/message.h>
#include <kj/exception.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <variant>

#include "events/checkpoint.h"
#include "events/proof_json.h"
#include "events/proof_verdict.h"
#include "proof_inputs_seed.h"

namespace {

using namespace pitlog;

// The signed text of a note: up to and including the newline before the last blank line.
std::optional<std::string> noteText(const std::string& note) {
  const size_t blank = note.rfind("\n\n");
  if (blank == std::string::npos) return std::nullopt;
  return note.substr(0, blank + 1);
}

// The JSON value re-encoded compactly (or, with `only`, an array of the top-level members with
// those names, in order); nullopt when it is not JSON.
std::optional<std::string> canonical(const std::string& json,
                                     std::initializer_list<const char*> only = {}) {
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<capnp::JsonValue>();
  capnp::JsonCodec codec;
  if (kj::runCatchingExceptions([&] {
        codec.decodeRaw(kj::ArrayPtr<const char>(json.data(), json.size()), root);
      }) != nullptr) {
    return std::nullopt;
  }
  if (only.size() == 0) return std::string(codec.encodeRaw(root.asReader()).cStr());
  if (!root.asReader().isObject()) return std::nullopt;
  std::string out = "[";
  for (auto f : root.asReader().getObject()) {
    for (const char* name : only) {
      if (f.getName() != name) continue;
      out += codec.encodeRaw(f.getValue()).cStr();
      out += std::string(",\"") + name + "\";";
    }
  }
  return out + "]";
}

void finding(const char* what) {
  std::fprintf(stderr, "fuzz_verify_proof: %s\n", what);
  std::abort();
}

void requireSame(const std::optional<std::string>& now, const std::optional<std::string>& valid,
                 const char* what) {
  if (!now || now != valid) finding(what);
}

}  // namespace

// The valid set must verify, or the oracle would never be consulted and the target prove nothing.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const fuzz::ProofInputs& valid = fuzz::validProofInputs();
  const auto now = events::openCheckpoint(*valid.key, valid.checkpoint);
  const auto old = events::openCheckpoint(*valid.key, valid.oldCheckpoint);
  const auto inclusion = events::parseProofJson(valid.inclusion);
  const auto consistency = events::parseProofJson(valid.consistency);
  if (!now.checkpoint || !old.checkpoint || !inclusion.proof || !consistency.proof ||
      !events::checkInclusion(*now.checkpoint, std::get<events::InclusionProof>(*inclusion.proof),
                              valid.event)
           .ok ||
      !events::checkConsistency(*old.checkpoint, *now.checkpoint,
                                std::get<events::ConsistencyProof>(*consistency.proof))
           .ok) {
    finding("the valid inputs do not verify: the harness would test nothing");
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const fuzz::ProofInputs& valid = fuzz::validProofInputs();
  fuzz::ProofInputs in = valid;
  *in.texts()[data[0] % fuzz::ProofInputs::kCount] =
      std::string(reinterpret_cast<const char*>(data + 1), size - 1);
  const events::NoteVerifier& key = *valid.key;

  const auto now = events::openCheckpoint(key, in.checkpoint);
  if (now.checkpoint) {
    auto proof = events::parseProofJson(in.inclusion);
    if (proof.proof && std::holds_alternative<events::InclusionProof>(*proof.proof)) {
      auto verdict = events::checkInclusion(
          *now.checkpoint, std::get<events::InclusionProof>(*proof.proof), in.event);
      if (verdict.ok) {
        requireSame(noteText(in.checkpoint), noteText(valid.checkpoint),
                    "an inclusion verified with a checkpoint whose signed text changed");
        requireSame(canonical(in.inclusion), canonical(valid.inclusion),
                    "an inclusion verified with a changed proof");
        requireSame(canonical(in.event, {"seq", "hash"}), canonical(valid.event, {"seq", "hash"}),
                    "an inclusion verified for a changed event seq or hash");
      }
    }
    const auto old = events::openCheckpoint(key, in.oldCheckpoint);
    auto consistency = events::parseProofJson(in.consistency);
    if (old.checkpoint && consistency.proof &&
        std::holds_alternative<events::ConsistencyProof>(*consistency.proof)) {
      auto verdict = events::checkConsistency(
          *old.checkpoint, *now.checkpoint,
          std::get<events::ConsistencyProof>(*consistency.proof));
      if (verdict.ok) {
        requireSame(noteText(in.checkpoint), noteText(valid.checkpoint),
                    "a consistency verified with a checkpoint whose signed text changed");
        requireSame(noteText(in.oldCheckpoint), noteText(valid.oldCheckpoint),
                    "a consistency verified with an old checkpoint whose signed text changed");
        requireSame(canonical(in.consistency), canonical(valid.consistency),
                    "a consistency verified with a changed proof");
      }
    }
  }
  return 0;
}
