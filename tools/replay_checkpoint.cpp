// pit-replay checkpoint: a statement of the verified log for an auditor to keep. Three forms:
//   checkpoint               a JSON statement of the chain head, for `verify --against`;
//   checkpoint --sign KEY    the log's Merkle tree head as a signed C2SP checkpoint, the same
//                            note GET /v1/log/checkpoint serves, signed with a key file;
//   checkpoint --verify PUB  a saved signed checkpoint checked against a verifier key (and, with
//                            --data, against the data dir's tree).
#include "database.h"
#include "events/checkpoint.h"
#include "events/merkle_store.h"
#include "proof_inputs.h"
#include "replay_common.h"
#include "replay_subcommands.h"

namespace pitlog::tools {
namespace {

namespace merkle = events::merkle;

int printChainStatement(const po::variables_map& vm, ToolContext& ctx) {
  auto db = ReadingDatabase::open(dataOption(vm), ReadingDatabase::Want::snapshot);
  const auto& store = db->store();
  Progress progress(ctx, "verifying the chain");
  auto report = verifyChain(store, progress.callback());
  progress.finish();
  if (!report.ok()) {
    ctx.err << "pit-replay: no checkpoint: the chain fails at event " << *report.failedSeq
            << ": " << report.failure << '\n';
    return kExitFinding;
  }
  if (report.position.lastSeq == 0) {
    ctx.err << "pit-replay: no checkpoint: the log is empty\n";
    return kExitUsage;
  }
  auto bytes = events::readEvent(store, report.position.lastSeq);
  std::string error;
  auto last = events::DecodedEvent::decode(*bytes, &error);  // verified just now
  Checkpoint c;
  c.seq = report.position.lastSeq;
  c.hash = report.position.head;
  c.at = last->reader().getAt();
  c.eventId = events::toHex(events::dataView(last->reader().getEventId()));
  c.takenAt = ctx.now();
  ctx.out << checkpointToJson(c) << '\n';
  return kExitOk;
}

// Signs only a tree the log vouches for: the chain verified from event 1, and the stored tree
// head equal to the head rebuilt from the events' hashes.
int printSignedCheckpoint(const po::variables_map& vm, ToolContext& ctx) {
  const std::string keyPath = vm["sign"].as<std::string>();
  std::unique_ptr<events::NoteSigner> signer;
  try {
    signer = events::NoteSigner::load(keyPath, events::logOrigin(events::kLogId));
  } catch (const std::runtime_error& e) {
    throw UsageError(std::string("--sign: ") + e.what());
  }
  auto db = ReadingDatabase::open(dataOption(vm), ReadingDatabase::Want::snapshot);
  const auto& store = db->store();
  merkle::TreeAppender rebuilt;
  std::vector<merkle::Node> ignored;
  Progress progress(ctx, "verifying the chain and the tree");
  auto report = verifyChain(store, progress.callback(), [&](const events::ChainPosition& p) {
    ignored.clear();
    rebuilt.append(merkle::eventLeafHash(p.head), &ignored);
  });
  progress.finish();
  if (!report.ok()) {
    ctx.err << "pit-replay: no checkpoint: the chain fails at event " << *report.failedSeq
            << ": " << report.failure << '\n';
    return kExitFinding;
  }
  events::Checkpoint checkpoint;
  checkpoint.origin = events::logOrigin(events::kLogId);
  checkpoint.treeSize = report.position.lastSeq;
  checkpoint.root = merkle::treeHead(events::StoreNodeSource(store), checkpoint.treeSize);
  if (checkpoint.root != rebuilt.root()) {
    ctx.err << "pit-replay: no checkpoint: the stored Merkle tree's head "
            << events::toHex(checkpoint.root) << " is not the head of the log's events "
            << events::toHex(rebuilt.root()) << " (pit-replay verify names the event)\n";
    return kExitFinding;
  }
  ctx.out << events::signCheckpoint(*signer, checkpoint);
  return kExitOk;
}

int verifySignedCheckpoint(const po::variables_map& vm, ToolContext& ctx) {
  InputReader inputs(ctx);
  auto verifier = parseVerifierKeyFile(inputs.read(vm["verify"].as<std::string>(), "--verify"),
                                       "--verify");
  const std::string note = inputs.read(vm["checkpoint"].as<std::string>(), "--checkpoint");
  auto opened = events::openCheckpoint(verifier, note);
  if (!opened.checkpoint) {
    ctx.out << "checkpoint: FAILED: " << opened.error << '\n';
    return kExitFinding;
  }
  const events::Checkpoint& c = *opened.checkpoint;
  if (c.origin != events::logOrigin(events::kLogId)) {
    ctx.out << "checkpoint: FAILED: its origin '" << c.origin << "' is not pitlog's ("
            << events::logOrigin(events::kLogId) << ")\n";
    return kExitFinding;
  }
  ctx.out << "checkpoint: ok: " << c.origin << ", tree size " << c.treeSize << ", root "
          << events::toHex(c.root) << ", signed by " << keyName(verifier) << '\n';
  if (!vm.count("data")) return kExitOk;
  auto db = ReadingDatabase::open(dataOption(vm), ReadingDatabase::Want::snapshot);
  const uint64_t logSize = db->store().lastSeq();
  if (c.treeSize > logSize) {
    ctx.out << "log: FAILED: the checkpoint's tree size " << c.treeSize
            << " is larger than the log (" << logSize << " events): events were removed\n";
    return kExitFinding;
  }
  const merkle::Hash stored = merkle::treeHead(events::StoreNodeSource(db->store()), c.treeSize);
  if (stored != c.root) {
    ctx.out << "log: FAILED: the data dir's tree of size " << c.treeSize << " has root "
            << events::toHex(stored) << ", not the checkpoint's (pit-replay verify names the "
            << "event)\n";
    return kExitFinding;
  }
  ctx.out << "log: ok: the data dir's tree of size " << c.treeSize
          << " has the checkpoint's root (the log holds " << logSize << " events)\n";
  return kExitOk;
}

class CheckpointCommand final : public Subcommand {
 public:
  void addOptions(po::options_description& options) const override {
    options.add_options()
        ("sign", po::value<std::string>()->value_name("KEY"),
         "print the log's tree head as a C2SP checkpoint signed with this Ed25519 key file "
         "(PEM, as pitd's --log-signing-key)")
        ("verify", po::value<std::string>()->value_name("PUBKEY"),
         "check a signed checkpoint with this verifier key file (GET /v1/log/public-key)")
        ("checkpoint", po::value<std::string>()->value_name("FILE")->default_value("-"),
         "with --verify: the signed checkpoint ('-': standard input)");
  }
  const char* synopsis() const override {
    return "checkpoint [--sign KEY | --verify PUBKEY [--checkpoint FILE]]";
  }
  const char* help() const override {
    return "Without options: verifies the hash chain (not the views), then prints one line of\n"
           "JSON naming its head: {\"format\":\"pitlog-checkpoint/1\",\"seq\",\"hash\",\"at\",\"eventId\",\n"
           "\"takenAt\"}. The hash commits to every event up to seq: keep the statement somewhere the\n"
           "database's operators cannot write, and later prove with `verify --against FILE` that\n"
           "the log still extends it. Exits 1 without a statement when the chain is broken.\n\n"
           "--sign KEY: verifies the chain and that the stored Merkle tree is the tree of the\n"
           "events, then prints the tree's checkpoint (origin pitlog/pitd, tree size, base64 root)\n"
           "signed with KEY as a C2SP signed note: what GET /v1/log/checkpoint answers.\n\n"
           "--verify PUBKEY: checks a signed checkpoint (--checkpoint FILE, or standard input)\n"
           "with the verifier key in PUBKEY (its first line, as GET /v1/log/public-key serves it)\n"
           "and prints its size and root; with --data, also that the data dir's tree of that size\n"
           "has that root. Exit 1 names what fails. No data dir is needed otherwise.\n\n"
           "Examples:\n"
           "  pit-replay --data /var/lib/pitlog checkpoint > checkpoint-$(date +%F).json\n"
           "  pit-replay --data /var/lib/pitlog verify --against checkpoint-2026-11-28.json\n"
           "  pit-replay --data /var/lib/pitlog checkpoint --sign /var/lib/pitlog/log-signing.key \\\n"
           "      > checkpoint-2026-11.txt\n"
           "  pit-replay checkpoint --verify pitlog.pub --checkpoint checkpoint-2026-11.txt";
  }

  int run(const po::variables_map& vm, ToolContext& ctx) const override {
    if (vm.count("sign") && vm.count("verify")) {
      throw UsageError("give --sign or --verify, not both");
    }
    if (!vm["checkpoint"].defaulted() && !vm.count("verify")) {
      throw UsageError("--checkpoint goes with --verify");
    }
    if (vm.count("sign")) return printSignedCheckpoint(vm, ctx);
    if (vm.count("verify")) return verifySignedCheckpoint(vm, ctx);
    return printChainStatement(vm, ctx);
  }
};

}  // namespace

std::unique_ptr<Subcommand> makeCheckpoint() { return std::make_unique<CheckpointCommand>(); }

}  // namespace pitlog::tools
