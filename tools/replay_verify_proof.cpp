// pit-replay verify-proof: an auditor's offline check, without a data dir, of what pitd's
// /v1/log routes (or `pit-replay prove` and `checkpoint --sign`) answered: a signed checkpoint,
// and either an inclusion proof with the event it proves, or a consistency proof with an older
// signed checkpoint. Prints "ok: …" or "FAILED: …" naming the input and the check that fails.
#include <variant>

#include "events/checkpoint.h"
#include "events/proof_json.h"
#include "events/proof_verdict.h"
#include "proof_inputs.h"
#include "replay_subcommands.h"

namespace pitlog::tools {
namespace {

class VerifyProof final : public Subcommand {
 public:
  void addOptions(po::options_description& options) const override {
    options.add_options()
        ("key", po::value<std::string>()->value_name("PUBKEY"),
         "the verifier key file (GET /v1/log/public-key) (required)")
        ("checkpoint", po::value<std::string>()->value_name("FILE"),
         "the signed checkpoint the proof ends in (required)")
        ("proof", po::value<std::string>()->value_name("FILE"),
         "the proof's JSON, inclusion or consistency (required)")
        ("event", po::value<std::string>()->value_name("FILE"),
         "with an inclusion proof: the event, as /events, /audit or pit-dump --format json print it")
        ("old-checkpoint", po::value<std::string>()->value_name("FILE"),
         "with a consistency proof: the older signed checkpoint")
        ("old-key", po::value<std::string>()->value_name("PUBKEY"),
         "the older checkpoint's verifier key, when another node signed it (default: --key)");
  }
  const char* synopsis() const override {
    return "verify-proof --key PUBKEY --checkpoint FILE --proof FILE\n"
           "                              (--event FILE | --old-checkpoint FILE [--old-key PUBKEY])";
  }
  const char* help() const override {
    return "Checks, offline and without a data dir, that a signed checkpoint (GET\n"
           "/v1/log/checkpoint) verifies with the key and that the proof holds in its tree:\n"
           "- an inclusion proof (GET /v1/log/proof/inclusion) with --event: the event of seq N\n"
           "  with that hash is leaf N-1 of the checkpoint's tree;\n"
           "- a consistency proof (GET /v1/log/proof/consistency) with --old-checkpoint: the log\n"
           "  the checkpoint signs extends the older checkpoint's (nothing in it was altered,\n"
           "  removed or reordered).\n"
           "Any FILE may be '-' (standard input), one of them. Prints `ok: …` and exits 0, or\n"
           "`FAILED: …` naming the input and the check (signature, tree size, the event's seq,\n"
           "the root the proof leads to, or the old or new root) and exits 1. The event's leaf is\n"
           "its `hash`, which commits to its content through the chain (pit-replay verify).\n\n"
           "Examples:\n"
           "  pit-replay verify-proof --key pitlog.pub --checkpoint now.txt \\\n"
           "      --proof inclusion.json --event event-42.json\n"
           "  pit-replay verify-proof --key pitlog.pub --checkpoint now.txt \\\n"
           "      --proof consistency.json --old-checkpoint checkpoint-2026-11.txt";
  }

  int run(const po::variables_map& vm, ToolContext& ctx) const override {
    for (const char* required : {"key", "checkpoint", "proof"}) {
      if (!vm.count(required)) throw UsageError(std::string("--") + required + " is required");
    }
    InputReader inputs(ctx);
    const auto key = parseVerifierKeyFile(inputs.read(vm["key"].as<std::string>(), "--key"), "--key");
    const std::string note = inputs.read(vm["checkpoint"].as<std::string>(), "--checkpoint");
    const std::string proofJson = inputs.read(vm["proof"].as<std::string>(), "--proof");
    auto proof = events::parseProofJson(proofJson);
    // Which proof decides which companion input is needed: check usage before any verdict.
    const bool inclusion =
        proof.proof && std::holds_alternative<events::InclusionProof>(*proof.proof);
    if (proof.proof && inclusion && !vm.count("event")) {
      throw UsageError("an inclusion proof needs --event FILE");
    }
    if (proof.proof && !inclusion && !vm.count("old-checkpoint")) {
      throw UsageError("a consistency proof needs --old-checkpoint FILE");
    }
    if (proof.proof && (inclusion ? vm.count("old-checkpoint") || vm.count("old-key")
                                  : vm.count("event") > 0)) {
      throw UsageError(inclusion ? "--old-checkpoint and --old-key go with a consistency proof"
                                 : "--event goes with an inclusion proof");
    }

    auto opened = events::openCheckpoint(key, note);
    if (!opened.checkpoint) return failed(ctx, "checkpoint: " + opened.error);
    const events::Checkpoint& checkpoint = *opened.checkpoint;
    if (!proof.proof) return failed(ctx, "proof: " + proof.error);
    if (inclusion) {
      return report(ctx, events::checkInclusion(
                             checkpoint, std::get<events::InclusionProof>(*proof.proof),
                             inputs.read(vm["event"].as<std::string>(), "--event")));
    }
    const std::string oldNote =
        inputs.read(vm["old-checkpoint"].as<std::string>(), "--old-checkpoint");
    const auto oldKey =
        vm.count("old-key")
            ? parseVerifierKeyFile(inputs.read(vm["old-key"].as<std::string>(), "--old-key"),
                                   "--old-key")
            : key;
    auto oldOpened = events::openCheckpoint(oldKey, oldNote);
    if (!oldOpened.checkpoint) return failed(ctx, "old checkpoint: " + oldOpened.error);
    return report(ctx, events::checkConsistency(*oldOpened.checkpoint, checkpoint,
                                                std::get<events::ConsistencyProof>(*proof.proof)));
  }

 private:
  static int failed(ToolContext& ctx, const std::string& why) {
    ctx.out << "FAILED: " << why << '\n';
    return kExitFinding;
  }

  // The verdict, as the tool prints it (events/proof_verdict.h decides).
  static int report(ToolContext& ctx, const events::ProofVerdict& verdict) {
    if (!verdict.ok) return failed(ctx, verdict.message);
    ctx.out << "ok: " << verdict.message << '\n';
    return kExitOk;
  }
};

}  // namespace

std::unique_ptr<Subcommand> makeVerifyProof() { return std::make_unique<VerifyProof>(); }

}  // namespace pitlog::tools
