// Writes signed checkpoints and proofs made by pitlog's own code as JSON, for the independent
// verifier (verify_proofs.py) to check: proof_fixture OUTDIR → OUTDIR/bundles.json, with the
// signing key in OUTDIR/log-signing.key (created by the product's key handling).
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "events/checkpoint.h"
#include "events/digest.h"
#include "events/merkle.h"
#include "events/signed_note_signer.h"

namespace ev = ::pitlog::events;
namespace mk = ::pitlog::events::merkle;

namespace {

std::string jsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string hexList(const std::vector<mk::Hash>& hashes) {
  std::string out = "[";
  for (size_t i = 0; i < hashes.size(); ++i) out += (i ? ",\"" : "\"") + ev::toHex(hashes[i]) + "\"";
  return out + "]";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: proof_fixture OUTDIR\n";
    return 2;
  }
  std::string dir = argv[1];
  auto signer = ev::NoteSigner::loadOrCreate(dir + "/log-signing.key", ev::logOrigin("fixture"),
                                             nullptr);
  // Stand-ins for the events' chain hashes: any 32 bytes will do for the tree.
  std::vector<ev::Digest> events;
  mk::MemoryTree tree;
  for (int i = 0; i < 1500; ++i) {
    events.push_back(ev::sha256("event " + std::to_string(i)));
    tree.append(mk::eventLeafHash(events.back()));
  }
  auto signedAt = [&](uint64_t size) {
    return ev::signCheckpoint(*signer, ev::Checkpoint{ev::logOrigin("fixture"), size,
                                                      mk::treeHead(tree, size), {}});
  };
  struct Case {
    uint64_t from, to, leaf;
  };
  const std::vector<Case> cases = {{1, 1, 0},      {3, 7, 5},       {8, 8, 2},
                                   {0, 5, 4},      {1000, 1500, 1234}, {1024, 1500, 0},
                                   {513, 1025, 1024}, {1499, 1500, 1499}};
  std::ofstream out(dir + "/bundles.json");
  out << "[\n";
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    out << "{\"verifierKey\": " << jsonString(signer->verifier().encoded())
        << ",\n \"oldCheckpoint\": " << jsonString(signedAt(c.from))
        << ",\n \"checkpoint\": " << jsonString(signedAt(c.to))
        << ",\n \"inclusion\": {\"eventHash\": \"" << ev::toHex(events[c.leaf])
        << "\", \"leafIndex\": " << c.leaf << ", \"treeSize\": " << c.to
        << ", \"hashes\": " << hexList(mk::inclusionProof(tree, c.leaf, c.to)) << "}"
        << ",\n \"consistency\": {\"from\": " << c.from << ", \"to\": " << c.to
        << ", \"hashes\": " << hexList(mk::consistencyProof(tree, c.from, c.to)) << "}}"
        << (i + 1 < cases.size() ? ",\n" : "\n");
  }
  out << "]\n";
  return out.good() ? 0 : 1;
}
