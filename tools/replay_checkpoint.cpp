// pit-replay checkpoint: a small JSON statement of the verified chain head, for an auditor to
// keep and later hand to `verify --against`.
#include "database.h"
#include "replay_common.h"
#include "replay_subcommands.h"

namespace pitlog::tools {
namespace {

class CheckpointCommand final : public Subcommand {
 public:
  void addOptions(po::options_description&) const override {}
  const char* synopsis() const override { return "checkpoint"; }
  const char* help() const override {
    return "Verifies the hash chain (not the views), then prints one line of JSON naming its\n"
           "head: {\"format\":\"pitlog-checkpoint/1\",\"seq\",\"hash\",\"at\",\"eventId\",\"takenAt\"}.\n"
           "The hash commits to every event up to seq: keep the statement somewhere the database's\n"
           "operators cannot write, and later prove with `verify --against FILE` that the log still\n"
           "extends it. Exits 1 without a statement when the chain is broken.\n\n"
           "Examples:\n"
           "  pit-replay --data /var/lib/pitlog checkpoint > checkpoint-$(date +%F).json\n"
           "  pit-replay --data /var/lib/pitlog verify --against checkpoint-2026-11-28.json";
  }

  int run(const po::variables_map& vm, ToolContext& ctx) const override {
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
};

}  // namespace

std::unique_ptr<Subcommand> makeCheckpoint() { return std::make_unique<CheckpointCommand>(); }

}  // namespace pitlog::tools
