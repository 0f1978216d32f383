// pit-replay prove: an inclusion or a consistency proof of the log's Merkle tree, read from the
// stored nodes (events/merkle_store.h), in the JSON pitd's /v1/log/proof/* routes answer.
#include "database.h"
#include "events/merkle_store.h"
#include "events/proof_json.h"
#include "replay_subcommands.h"

namespace pitlog::tools {
namespace {

namespace merkle = events::merkle;

class Prove final : public Subcommand {
 public:
  void addOptions(po::options_description& options) const override {
    options.add_options()
        ("seq", po::value<uint64_t>()->value_name("N"), "prove that event N is in the tree")
        ("tree-size", po::value<uint64_t>()->value_name("M"),
         "the tree to prove it in (default: the whole log)")
        ("from", po::value<uint64_t>()->value_name("M1"), "prove the tree of M1 events...")
        ("to", po::value<uint64_t>()->value_name("M2"),
         "...is a prefix of the tree of M2 (default: the whole log)");
  }
  const char* synopsis() const override {
    return "prove (--seq N [--tree-size M] | --from M1 [--to M2])";
  }
  const char* help() const override {
    return "Prints an RFC 9162 proof over the log's Merkle tree (leaf N-1 is the event of seq N)\n"
           "as one JSON line: with --seq, the inclusion proof {\"leafIndex\",\"treeSize\",\"hashes\"};\n"
           "with --from, the consistency proof {\"from\",\"to\",\"hashes\"}. The same answers as\n"
           "GET /v1/log/proof/inclusion and /v1/log/proof/consistency. Exit 2 for a value out of\n"
           "range.\n\n"
           "Examples:\n"
           "  pit-replay --data /var/lib/pitlog prove --seq 42 --tree-size 1000\n"
           "  pit-replay --data /var/lib/pitlog prove --from 1000 --to 5000";
  }

  int run(const po::variables_map& vm, ToolContext& ctx) const override {
    const bool inclusion = vm.count("seq") > 0, consistency = vm.count("from") > 0;
    if (inclusion == consistency || (inclusion && vm.count("to")) ||
        (consistency && vm.count("tree-size"))) {
      ctx.err << "pit-replay prove: give --seq N [--tree-size M] or --from M1 [--to M2]\n";
      return kExitUsage;
    }
    auto db = ReadingDatabase::open(dataOption(vm), ReadingDatabase::Want::snapshot);
    const events::Store& store = db->store();
    const uint64_t logSize = store.lastSeq();
    const events::StoreNodeSource nodes(store);
    if (inclusion) {
      const uint64_t seq = vm["seq"].as<uint64_t>();
      const uint64_t size = vm.count("tree-size") ? vm["tree-size"].as<uint64_t>() : logSize;
      if (seq == 0 || seq > logSize) {
        ctx.err << "pit-replay prove: --seq " << seq << " is not an event of the log (1 to "
                << logSize << ")\n";
        return kExitUsage;
      }
      if (auto error = merkle::inclusionRangeError(seq - 1, size, logSize)) {
        ctx.err << "pit-replay prove: " << *error << '\n';
        return kExitUsage;
      }
      ctx.out << events::inclusionProofJson(seq - 1, size, merkle::inclusionProof(nodes, seq - 1, size))
              << '\n';
      return kExitOk;
    }
    const uint64_t from = vm["from"].as<uint64_t>();
    const uint64_t to = vm.count("to") ? vm["to"].as<uint64_t>() : logSize;
    if (auto error = merkle::consistencyRangeError(from, to, logSize)) {
      ctx.err << "pit-replay prove: " << *error << '\n';
      return kExitUsage;
    }
    ctx.out << events::consistencyProofJson(from, to, merkle::consistencyProof(nodes, from, to))
            << '\n';
    return kExitOk;
  }
};

}  // namespace

std::unique_ptr<Subcommand> makeProve() { return std::make_unique<Prove>(); }

}  // namespace pitlog::tools
