#pragma once
// The JSON answers of the log's proofs (API.md "Log proofs"), the same from pitd's routes and
// from `pit-replay prove`: {"leafIndex","treeSize","hashes":[hex…]} and {"from","to","hashes"}.
#include <string>
#include <vector>

#include "events/merkle.h"

namespace pitlog::events {

std::string inclusionProofJson(uint64_t leafIndex, uint64_t treeSize,
                               const std::vector<merkle::Hash>& hashes);
std::string consistencyProofJson(uint64_t from, uint64_t to,
                                 const std::vector<merkle::Hash>& hashes);

}  // namespace pitlog::events
