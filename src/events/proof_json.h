#pragma once
// The JSON answers of the log's proofs (API.md "Log proofs"), the same from pitd's routes and
// from `pit-replay prove`: {"leafIndex","treeSize","hashes":[hex…]} and {"from","to","hashes"}.
// The parser reads them back (pit-replay verify-proof): exactly those fields, whole numbers that
// fit in 53 bits (JSON's exact integers), and 64 lower-case hex digits per hash; anything else is
// refused with a sentence saying what is wrong. It never throws.
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "events/merkle.h"

namespace pitlog::events {

std::string inclusionProofJson(uint64_t leafIndex, uint64_t treeSize,
                               const std::vector<merkle::Hash>& hashes);
std::string consistencyProofJson(uint64_t from, uint64_t to,
                                 const std::vector<merkle::Hash>& hashes);

struct InclusionProof {
  uint64_t leafIndex = 0, treeSize = 0;
  std::vector<merkle::Hash> hashes;
};
struct ConsistencyProof {
  uint64_t from = 0, to = 0;
  std::vector<merkle::Hash> hashes;
};

struct [[nodiscard]] ProofParse {
  std::optional<std::variant<InclusionProof, ConsistencyProof>> proof;
  std::string error;  // why `proof` is empty
};
// Either proof, told apart by its fields.
ProofParse parseProofJson(std::string_view json);

}  // namespace pitlog::events
