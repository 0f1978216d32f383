#pragma once
// One valid set of what `pit-replay verify-proof` reads, made by pitlog's own code with a fixed
// key, for fuzz_verify_proof (its starting point and oracle) and make_corpus (its seeds): a
// signed checkpoint of a 13-leaf tree, an older one of its first 6 leaves, the inclusion proof of
// leaf 4 (the event of seq 5) in the larger tree with that event's JSON, and the consistency
// proof from 6 to 13. Deterministic: the same bytes in every process.
#include <array>
#include <optional>
#include <string>

#include "events/signed_note.h"

namespace pitlog::fuzz {

struct ProofInputs {
  std::optional<events::NoteVerifier> key;  // the checkpoints' verifier
  std::string checkpoint;     // tree size 13, signed
  std::string inclusion;      // JSON: leaf 4 of 13
  std::string event;          // JSON: the event of seq 5, as /events prints one
  std::string oldCheckpoint;  // tree size 6, signed
  std::string consistency;    // JSON: from 6 to 13

  // The five texts, in the order the fuzzer's selector byte names them.
  static constexpr int kCount = 5;
  std::array<const std::string*, kCount> texts() const {
    return {&checkpoint, &inclusion, &event, &oldCheckpoint, &consistency};
  }
  std::array<std::string*, kCount> texts() {
    return {&checkpoint, &inclusion, &event, &oldCheckpoint, &consistency};
  }
};

const ProofInputs& validProofInputs();

}  // namespace pitlog::fuzz
