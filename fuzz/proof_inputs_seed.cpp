#include "proof_inputs_seed.h"

#include "events/checkpoint.h"
#include "events/digest.h"
#include "events/merkle.h"
#include "events/proof_json.h"
#include "events/signed_note_signer.h"

namespace pitlog::fuzz {

namespace {

namespace merkle = events::merkle;

constexpr uint64_t kOldSize = 6, kSize = 13, kLeaf = 4;

ProofInputs make() {
  const std::string origin = events::logOrigin(events::kLogId);
  const auto signer = events::NoteSigner::fromSeed(origin, std::string(32, '\x2a'));
  // Stand-ins for the events' chain hashes: the tree takes any 32 bytes.
  std::vector<events::Digest> hashes;
  merkle::MemoryTree tree;
  for (uint64_t i = 0; i < kSize; ++i) {
    hashes.push_back(events::sha256("event " + std::to_string(i + 1)));
    tree.append(merkle::eventLeafHash(hashes.back()));
  }
  auto signedAt = [&](uint64_t size) {
    return events::signCheckpoint(
        *signer, events::Checkpoint{origin, size, merkle::treeHead(tree, size), {}});
  };
  ProofInputs in;
  in.key = signer->verifier();
  in.checkpoint = signedAt(kSize);
  in.oldCheckpoint = signedAt(kOldSize);
  in.inclusion =
      events::inclusionProofJson(kLeaf, kSize, merkle::inclusionProof(tree, kLeaf, kSize));
  in.consistency =
      events::consistencyProofJson(kOldSize, kSize, merkle::consistencyProof(tree, kOldSize, kSize));
  // The event of seq kLeaf + 1 in API.md's shape (fields the leaf does not depend on included).
  in.event = "{\"seq\":" + std::to_string(kLeaf + 1) +
             ",\"streamId\":\"int_1\",\"streamVersion\":1,\"eventId\":\"" +
             events::toHex(events::sha256("id")).substr(0, 32) +
             "\",\"at\":\"2026-11-28T17:00:00.000Z\",\"actor\":{\"accountId\":\"acme\","
             "\"userId\":\"alice\",\"role\":\"admin\"},\"requestId\":\"req-1\",\"type\":\"Created\","
             "\"data\":{},\"prevHash\":\"" +
             events::toHex(hashes[kLeaf - 1]) + "\",\"hash\":\"" + events::toHex(hashes[kLeaf]) +
             "\"}";
  return in;
}

}  // namespace

const ProofInputs& validProofInputs() {
  static const ProofInputs inputs = make();
  return inputs;
}

}  // namespace pitlog::fuzz
