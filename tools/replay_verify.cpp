// pit-replay verify: the hash chain, every stored view against its rebuild, and optionally a
// checkpoint the log must still extend.
#include <kj/common.h>

#include <chrono>
#include <memory>

#include "database.h"
#include "projections/stored_meta.h"
#include "replay_common.h"
#include "replay_subcommands.h"

namespace pitlog::tools {
namespace {

using events::DecodedEvent;

// The rebuild of a verify run in its own process: never freed, and reachable from here until the
// process ends (so that leak checkers do not count it).
projections::MemoryViewStore* keptUntilExit = nullptr;

class Verify final : public Subcommand {
 public:
  void addOptions(po::options_description& o) const override {
    o.add_options()("against", po::value<std::string>()->value_name("FILE"),
                    "also prove that the log still extends this checkpoint (the output of "
                    "`pit-replay checkpoint`): the event at its sequence hashes to its hash");
  }
  const char* synopsis() const override { return "verify [--against FILE]"; }
  const char* help() const override {
    return "Re-checks the hash chain from the first event to meta/chain_head, rebuilds every view\n"
           "(tokens, integrations, by_account, permissions, audit_by_account) from the log in\n"
           "memory and compares it with the stored views byte for byte. Exits 0 only when both\n"
           "hold; otherwise 1, naming the first sequence that fails and what differs. A live\n"
           "database is read as a secondary, at the moment it was opened.\n\n"
           "Examples:\n"
           "  pit-replay --data /var/lib/pitlog verify\n"
           "  pit-replay --data /var/lib/pitlog verify --against checkpoint-2026-11.json";
  }

  int run(const po::variables_map& vm, ToolContext& ctx) const override {
    const std::string dataDir = dataOption(vm);
    std::optional<Checkpoint> checkpoint;
    if (auto file = stringOption(vm, "against")) checkpoint = readCheckpointFile(*file, ctx.now());

    auto db = ReadingDatabase::open(dataDir, ReadingDatabase::Want::snapshot);
    const auto& store = db->store();
    ctx.out << "verifying " << dataDir << " (" << db->describeMode() << ")\n";

    const auto started = std::chrono::steady_clock::now();
    Progress progress(ctx, "replaying");
    auto rebuiltViews = std::make_unique<projections::MemoryViewStore>();
    // Freeing millions of view entries one by one would take as long as comparing them.
    KJ_DEFER(if (ctx.processEndsAfter) keptUntilExit = rebuiltViews.release());
    auto& rebuilt = *rebuiltViews;
    projections::ReplayOptions options;
    options.progress = progress.callback();
    // Meta first: its values bound what the chain check reads, so a damaged one is reported as
    // itself, before anything trusts it.
    if (auto problem = projections::checkStoredMeta(store)) {
      ctx.out << "meta: FAILED: " << *problem << '\n'
              << "chain: not checked, its end is recorded in the damaged meta\n";
      return kExitFinding;
    }
    const auto report = projections::replay(store, rebuilt, options);
    progress.finish();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    if (!report.ok()) {
      ctx.out << "chain: FAILED at event " << *report.failedSeq << ": " << report.failure << '\n'
              << "views: not compared, the log they are built from is damaged\n"
              << "first failing sequence: " << *report.failedSeq << '\n';
      return kExitFinding;
    }
    char rate[64];
    std::snprintf(rate, sizeof(rate), "%.0f", seconds > 0 ? report.eventsApplied / seconds : 0.0);
    ctx.out << "chain: ok, " << report.eventsApplied << " events, head " << report.position.lastSeq
            << ' ' << events::toHex(report.position.head) << " (replayed at " << rate
            << " events/s)\n";

    bool ok = true;
    if (auto diff = projections::compareViews(store, rebuilt)) {
      auto failure = describeViewDifference(store, rebuilt, *diff);
      ctx.out << "views: FAILED: " << failure.what << '\n';
      if (failure.seq != 0) {
        ctx.out << "  (last written by event " << failure.seq << ")\n"
                << "first failing sequence: " << failure.seq << '\n';
      }
      ok = false;
    } else {
      size_t entries = 0;
      for (auto f : projections::viewFamilies()) entries += rebuilt.size(f);
      ctx.out << "views: ok, " << entries << " entries in " << projections::viewFamilies().size()
              << " families equal their rebuild\n";
    }

    if (checkpoint) ok = checkAgainst(store, report, *checkpoint, ctx) && ok;
    if (!ok) return kExitFinding;
    ctx.out << "verified\n";
    return kExitOk;
  }

 private:
  // The chain verified, every link holds; so the log extends the checkpoint exactly when the
  // event at its sequence still hashes to its hash.
  static bool checkAgainst(const events::Store& store, const projections::ReplayReport& report,
                           const Checkpoint& c, ToolContext& ctx) {
    const uint64_t last = report.position.lastSeq;
    auto fail = [&](const std::string& why) {
      ctx.out << "checkpoint: FAILED: " << why << '\n'
              << "first failing sequence: " << c.seq << '\n';
      return false;
    };
    if (c.seq > last) {
      return fail("the checkpoint is at event " + std::to_string(c.seq) + " but the log ends at " +
                  std::to_string(last) + ": events were removed since it was taken, or the log " +
                  "was replaced (the checkpoint cannot tell which events before it changed)");
    }
    // The checkpoint names its event by eventId and time too: when they do not describe the
    // event at its seq, the file or the log changed there, and the hash alone cannot say which.
    auto stored = events::readEvent(store, c.seq);
    std::string error;
    auto atSeq = stored ? DecodedEvent::decode(*stored, &error) : std::nullopt;
    if (!atSeq) return fail("event " + std::to_string(c.seq) + " cannot be read");
    const auto r = atSeq->reader();
    if (events::toHex(events::dataView(r.getEventId())) != c.eventId || r.getAt() != c.at) {
      return fail("the checkpoint's eventId and time do not describe event " +
                  std::to_string(c.seq) + " of the log: either the checkpoint file was altered " +
                  "(its seq, eventId or at) or the log was rewritten at event " +
                  std::to_string(c.seq));
    }
    events::Digest hash = report.position.head;
    if (c.seq < last) {
      auto bytes = events::readEvent(store, c.seq + 1);
      std::string error;
      auto next = bytes ? DecodedEvent::decode(*bytes, &error) : std::nullopt;
      if (!next) return fail("event " + std::to_string(c.seq + 1) + " cannot be read");
      hash = next->prevHash();  // == hash(c.seq): the chain verified
    }
    if (hash != c.hash) {
      return fail("event " + std::to_string(c.seq) + " now hashes to " + events::toHex(hash) +
                  ", the checkpoint says " + events::toHex(c.hash) +
                  ": the log up to the checkpoint was rewritten (at or before event " +
                  std::to_string(c.seq) + ")");
    }
    ctx.out << "checkpoint: ok, the log extends the checkpoint at event " << c.seq << " taken "
            << events::formatRfc3339(c.takenAt) << " (" << (last - c.seq)
            << " events since)\n";
    return true;
  }
};

}  // namespace

std::unique_ptr<Subcommand> makeVerify() { return std::make_unique<Verify>(); }

}  // namespace pitlog::tools
