#pragma once
// The offline checks of `pit-replay verify-proof` (API.md "Log proofs"), pure: no files, no
// options, no output, so that the tool and the fuzzer (fuzz/fuzz_verify_proof.cpp) run the same
// code. The caller opens the signed checkpoints (openCheckpoint) and parses the proof
// (parseProofJson); these read the event and decide.
//
// A verdict is `ok` only when every check holds; its message is what the tool prints after
// "ok: " or "FAILED: ", naming the input and the check. Nothing here throws.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "events/checkpoint.h"
#include "events/digest.h"
#include "events/proof_json.h"

namespace pitlog::events {

// The two fields of an event that its leaf depends on: `seq` (leaf seq-1) and `hash`.
struct EventLeaf {
  uint64_t seq = 0;
  Digest hash{};
};
struct [[nodiscard]] EventLeafParse {
  std::optional<EventLeaf> leaf;
  std::string error;
};
// One event object as pitd's /events and /audit routes and `pit-dump --format json` print it.
EventLeafParse parseEventLeaf(std::string_view json);

struct [[nodiscard]] ProofVerdict {
  bool ok = false;
  std::string message;
};

// The event (JSON) of seq n is leaf n-1 of the checkpoint's tree, by the proof.
ProofVerdict checkInclusion(const Checkpoint& checkpoint, const InclusionProof& proof,
                            std::string_view eventJson);
// The log `now` signs extends the one `old` signs, by the proof.
ProofVerdict checkConsistency(const Checkpoint& old, const Checkpoint& now,
                              const ConsistencyProof& proof);

}  // namespace pitlog::events
