// The log proof routes (API.md "Log proofs"): the signing key's verifier line, the signed
// checkpoint of the log's Merkle tree, and inclusion and consistency proofs read from the stored
// tree nodes (events/merkle_store.h). They reveal hashes only; the router asks for the service key.
#include "events/checkpoint.h"
#include "events/merkle_store.h"
#include "events/proof_json.h"
#include "server/http/handlers.h"
#include "server/http/query_params.h"

namespace pitlog::server::http {

using commands::Code;
namespace merkle = events::merkle;

std::optional<Reply> Handlers::requireLogSigner() const {
  if (logSigner_ != nullptr) return std::nullopt;
  return errorReply(Code::unavailable, "this server has no log signing key");
}

Reply Handlers::logPublicKey(Call&) {
  if (auto refused = requireLogSigner()) return *refused;
  Reply reply;
  reply.contentType = "text/plain; charset=utf-8";
  reply.body = logSigner_->verifier().encoded() + "\n";
  return reply;
}

Reply Handlers::logCheckpoint(Call&) {
  if (auto refused = requireLogSigner()) return *refused;
  // Every node of a tree of the committed size is durable with its events.
  events::Checkpoint checkpoint;
  checkpoint.origin = logOrigin_;
  checkpoint.treeSize = engine_.lastSeq();
  checkpoint.root = merkle::treeHead(events::StoreNodeSource(engine_.store()), checkpoint.treeSize);
  Reply reply;
  reply.contentType = "text/plain; charset=utf-8";
  reply.body = events::signCheckpoint(*logSigner_, checkpoint);
  return reply;
}

Reply Handlers::logInclusionProof(Call& call) {
  std::optional<uint64_t> seq, treeSize;
  if (auto e = readUint(call, "seq", 1, kAnyUint, &seq)) return errorReply(e->code, e->message, e->field);
  if (!seq) return errorReply(Code::invalidArgument, "query parameter 'seq' is required", "seq");
  if (auto e = readUint(call, "treeSize", 1, kAnyUint, &treeSize)) {
    return errorReply(e->code, e->message, e->field);
  }
  const uint64_t logSize = engine_.lastSeq();
  const uint64_t size = treeSize.value_or(logSize);
  if (*seq > logSize) {
    return errorReply(Code::invalidArgument,
                      "seq " + std::to_string(*seq) + " is beyond the log's last event (" +
                          std::to_string(logSize) + ")",
                      "seq");
  }
  // Leaf seq-1 is the event of seq (keys.h, merkle family).
  if (auto error = merkle::inclusionRangeError(*seq - 1, size, logSize)) {
    return errorReply(Code::invalidArgument, *error, size > logSize || *seq > size ? "treeSize" : "seq");
  }
  auto proof = merkle::inclusionProof(events::StoreNodeSource(engine_.store()), *seq - 1, size);
  Reply reply;
  reply.body = events::inclusionProofJson(*seq - 1, size, proof);
  return reply;
}

Reply Handlers::logConsistencyProof(Call& call) {
  std::optional<uint64_t> from, to;
  if (auto e = readUint(call, "from", 0, kAnyUint, &from)) return errorReply(e->code, e->message, e->field);
  if (auto e = readUint(call, "to", 0, kAnyUint, &to)) return errorReply(e->code, e->message, e->field);
  if (!from) return errorReply(Code::invalidArgument, "query parameter 'from' is required", "from");
  const uint64_t logSize = engine_.lastSeq();
  const uint64_t size = to.value_or(logSize);
  if (auto error = merkle::consistencyRangeError(*from, size, logSize)) {
    return errorReply(Code::invalidArgument, *error, size > logSize ? "to" : "from");
  }
  auto proof = merkle::consistencyProof(events::StoreNodeSource(engine_.store()), *from, size);
  Reply reply;
  reply.body = events::consistencyProofJson(*from, size, proof);
  return reply;
}

}  // namespace pitlog::server::http
