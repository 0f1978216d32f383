// pit-replay rebuild: replaces the stored views by a rebuild from the log. The one tool path that
// writes, so it refuses a database that anyone else holds.
#include <filesystem>

#include "database.h"
#include "replay_common.h"
#include "replay_subcommands.h"

namespace pitlog::tools {
namespace {

class Rebuild final : public Subcommand {
 public:
  void addOptions(po::options_description&) const override {}
  const char* synopsis() const override { return "rebuild"; }
  const char* help() const override {
    return "Verifies the chain, then replaces every stored view (tokens, integrations, by_account,\n"
           "permissions, audit_by_account) by its rebuild from the log, in one synced write, and\n"
           "says whether they differed. Refuses (exit 2) while the database is open by pitd or\n"
           "anyone else; writes nothing (exit 1) when the chain is broken. The log itself is never\n"
           "changed.\n\n"
           "Example:\n"
           "  systemctl stop pitd && pit-replay --data /var/lib/pitlog rebuild && systemctl start pitd";
  }

  int run(const po::variables_map& vm, ToolContext& ctx) const override {
    const std::string dataDir = dataOption(vm);
    if (!std::filesystem::exists(std::filesystem::path(dataDir) / "CURRENT")) {
      throw events::StoreError("no pitlog database at " + dataDir);
    }
    if (databaseIsLive(dataDir)) {
      ctx.err << "pit-replay: the database at " << dataDir
              << " is in use (is pitd running?); stop it before rebuilding the views\n";
      return kExitUsage;
    }
    events::Store::Options options;
    options.path = dataDir;
    options.mode = events::Store::Mode::readWrite;  // takes the lock: a racing pitd fails to start
    auto store = events::Store::open(options);

    Progress progress(ctx, "replaying");
    projections::MemoryViewStore rebuilt;
    projections::ReplayOptions replayOptions;
    replayOptions.progress = progress.callback();
    auto check = projections::replay(*store, rebuilt, replayOptions);
    progress.finish();
    if (!check.ok()) {
      ctx.out << "not rebuilt: the chain fails at event " << *check.failedSeq << ": "
              << check.failure << '\n';
      return kExitFinding;
    }
    std::string before = "the stored views already equalled the rebuild";
    if (auto diff = projections::compareViews(*store, rebuilt)) {
      before = "the stored views differed (first: " +
               describeViewDifference(*store, rebuilt, *diff).what + ")";
    }
    auto report = projections::rebuildStoredViews(*store);
    if (!report.ok()) {  // the log cannot change under the lock: our own bug if it did
      ctx.out << "not rebuilt: " << report.failure << '\n';
      return kExitFinding;
    }
    ctx.out << "rebuilt the views from " << report.eventsApplied << " events (head "
            << report.position.lastSeq << "); " << before << '\n';
    return kExitOk;
  }
};

}  // namespace

std::unique_ptr<Subcommand> makeRebuild() { return std::make_unique<Rebuild>(); }

}  // namespace pitlog::tools
