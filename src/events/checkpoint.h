#pragma once
// Checkpoints of the log's Merkle tree in the C2SP tlog-checkpoint format
// (https://c2sp.org/tlog-checkpoint), signed as C2SP signed notes:
//
//   checkpoint := origin "\n" tree-size "\n" base64(root hash) "\n" (extension-line "\n")*
//   origin     := "pitlog/" log-id          non-empty, no control characters
//   tree-size  := "0" | [1-9][0-9]*          fits in 64 bits
//   root hash  := RFC 9162 MTH of the first tree-size leaves, 32 bytes
//
// Extension lines are non-empty and opaque; pitlog writes none and keeps those it reads.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/merkle.h"
#include "events/signed_note.h"
#include "events/signed_note_signer.h"

namespace pitlog::events {

struct Checkpoint {
  std::string origin;
  uint64_t treeSize = 0;
  merkle::Hash root{};
  std::vector<std::string> extensions;
  bool operator==(const Checkpoint&) const = default;
};

// The log's id in its checkpoints' origin line: the same on every node of a cluster (they compute
// the same tree; each signs with its own key) and in the offline tools.
inline constexpr std::string_view kLogId = "pitd";

// "pitlog/<log id>": the origin line, and the name pitd's signing key goes by.
std::string logOrigin(std::string_view logId);

// The note text (body) of a checkpoint, exactly.
std::string formatCheckpoint(const Checkpoint& checkpoint);

struct [[nodiscard]] CheckpointParse {
  std::optional<Checkpoint> checkpoint;
  std::string error;  // why `checkpoint` is empty
};
// Parses a note text (not a signed note) as a checkpoint.
CheckpointParse parseCheckpoint(std::string_view text);

// The signed checkpoint GET /v1/log/checkpoint serves.
std::string signCheckpoint(const NoteSigner& signer, const Checkpoint& checkpoint);
// Verifies `note` with `verifier` (signed-note rules) and parses its text as a checkpoint.
CheckpointParse openCheckpoint(const NoteVerifier& verifier, std::string_view note);

}  // namespace pitlog::events
