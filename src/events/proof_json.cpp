#include "events/proof_json.h"

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

}  // namespace pitlog::events
