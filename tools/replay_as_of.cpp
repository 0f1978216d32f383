// pit-replay as-of: every integration as it was at a time or sequence, rebuilt from the log
// with the same apply() as the live views (API.md's `asOf`, for an auditor, over all accounts).
#include <algorithm>

#include "database.h"
#include "event_text.h"
#include "json_output.h"
#include "projections/integration_view.h"
#include "projections/state_at.h"
#include "projections/stored_meta.h"
#include "replay_common.h"
#include "replay_subcommands.h"

namespace pitlog::tools {
namespace {

using events::UnixMillis;
using projections::IntegrationView;
using projections::TokenRecord;
using projections::TokenState;

const char* stateName(TokenState s) { return s == TokenState::current ? "current" : "previous"; }

std::string hintOf(const TokenRecord& t) { return "pit_…" + t.hint; }

void printText(ToolContext& ctx, UnixMillis moment, uint64_t seq,
               const std::vector<IntegrationView>& views) {
  ctx.out << "as of " << events::formatRfc3339(moment) << " (through event " << seq << ")\n";
  for (const auto& v : views) {
    ctx.out << '\n'
            << v.id << "  " << quotedText(v.name) << "  account " << v.accountId << "  "
            << (v.deleted ? "deleted" : "active") << "  version " << v.version << '\n'
            << "  created " << events::formatRfc3339(v.createdAt) << " by " << v.createdBy
            << ", updated " << events::formatRfc3339(v.updatedAt) << '\n';
    if (!v.description.empty()) ctx.out << "  description " << quotedText(v.description) << '\n';
    ctx.out << "  scopes " << (v.scopes.empty() ? "-" : joinList(v.scopes, ", ")) << '\n';
    const auto state = projections::stateAt(v, moment);
    const auto& tokens = state.validTokens;
    if (tokens.empty()) ctx.out << "  no valid token\n";
    for (const auto& t : tokens) {
      ctx.out << "  token " << events::tokenIdOf(t.digest) << "  " << hintOf(t) << "  "
              << stateName(t.state) << "  issued " << events::formatRfc3339(t.issuedAt);
      if (t.expiresAt) ctx.out << "  expires " << events::formatRfc3339(*t.expiresAt);
      ctx.out << '\n';
    }
    if (const auto& rotation = state.pendingRotation) {
      ctx.out << "  rotation started " << events::formatRfc3339(rotation->startedAt)
              << ", the previous token expires " << events::formatRfc3339(rotation->previousExpiresAt)
              << '\n';
    }
  }
  ctx.out << '\n' << views.size() << (views.size() == 1 ? " integration\n" : " integrations\n");
}

void printJson(ToolContext& ctx, UnixMillis moment, uint64_t seq,
               const std::vector<IntegrationView>& views) {
  capnp::MallocMessageBuilder message;
  auto report = message.initRoot<json::AsOfReport>();
  report.setAsOf(events::formatRfc3339(moment));
  report.setSeq(seqField(seq));
  auto list = report.initIntegrations(static_cast<unsigned>(views.size()));
  for (unsigned i = 0; i < views.size(); ++i) {
    const auto& v = views[i];
    auto j = list[i];
    j.setId(v.id);
    j.setAccountId(v.accountId);
    j.setName(v.name);
    j.setDescription(v.description);
    auto scopes = j.initScopes(static_cast<unsigned>(v.scopes.size()));
    for (unsigned s = 0; s < v.scopes.size(); ++s) scopes.set(s, v.scopes[s]);
    j.setStatus(v.deleted ? "deleted" : "active");
    j.setVersion(v.version);
    j.setCreatedAt(events::formatRfc3339(v.createdAt));
    j.setCreatedBy(v.createdBy);
    j.setUpdatedAt(events::formatRfc3339(v.updatedAt));
    const auto state = projections::stateAt(v, moment);
    const auto& valid = state.validTokens;
    auto tokens = j.initTokens(static_cast<unsigned>(valid.size()));
    for (unsigned t = 0; t < valid.size(); ++t) {
      tokens[t].setTokenId(events::tokenIdOf(valid[t].digest));
      tokens[t].setHint(hintOf(valid[t]));
      tokens[t].setState(stateName(valid[t].state));
      tokens[t].setIssuedAt(events::formatRfc3339(valid[t].issuedAt));
      std::optional<std::string> expires;
      if (valid[t].expiresAt) expires = events::formatRfc3339(*valid[t].expiresAt);
      setStringOrNull(tokens[t].initExpiresAt(), expires);
    }
    auto rotation = j.initRotation();
    if (const auto& pending = state.pendingRotation) {
      auto fields = rotation.initObject(2);
      fields[0].setName("startedAt");
      fields[0].initValue().setString(events::formatRfc3339(pending->startedAt));
      fields[1].setName("previousExpiresAt");
      fields[1].initValue().setString(events::formatRfc3339(pending->previousExpiresAt));
    } else {
      rotation.setNull();
    }
  }
  ctx.out << toJson(report.asReader()) << '\n';
}

// Events of one command share their stream, time, actor and request id (EventContext); a
// command writes its events to one stream. The last event of the command event `seq` is in.
uint64_t commandEnd(const events::Store& store, uint64_t seq) {
  std::string error;
  auto first = events::readEvent(store, seq);
  auto event = first ? events::DecodedEvent::decode(*first, &error) : std::nullopt;
  if (!event) return seq;  // damaged: the replay names it
  const auto a = event->reader();
  uint64_t end = seq;
  events::forEachEvent(store, seq + 1, 0, [&](uint64_t next, std::string_view bytes) {
    auto decoded = events::DecodedEvent::decode(bytes, &error);
    if (!decoded) return false;
    const auto b = decoded->reader();
    const bool same = next == end + 1 && b.getAt() == a.getAt() &&
                      b.getStreamId() == a.getStreamId() &&
                      b.getRequestId() == a.getRequestId() &&
                      b.getActor().getUserId() == a.getActor().getUserId() &&
                      b.getActor().getAccountId() == a.getActor().getAccountId();
    if (same) end = next;
    return same;
  });
  return end;
}

class AsOf final : public Subcommand {
 public:
  void addOptions(po::options_description& o) const override {
    o.add_options()
        ("at", po::value<std::string>()->value_name("TIME"),
         "the moment, RFC 3339: events at or before it count")
        ("seq", po::value<std::string>()->value_name("N"),
         "or: just after event N (the moment is that event's time); inside a command, just after\n"
         "that command's last event")
        ("account", po::value<std::string>()->value_name("ID"), "only this account's integrations")
        ("integration", po::value<std::string>()->value_name("ID"), "only this integration")
        ("include-deleted", "also integrations deleted by then (status deleted, no tokens)")
        ("format", po::value<std::string>()->value_name("text|json")->default_value("text"),
         "json: {\"asOf\", \"seq\", \"integrations\": [API.md's integration shape]}");
  }
  const char* synopsis() const override {
    return "as-of (--at TIME | --seq N) [--account ID] [--integration ID] [--format text|json]";
  }
  const char* help() const override {
    return "Replays the log (verifying its chain) up to a moment and prints every integration as\n"
           "it was then: name, description, scopes, status, and the tokens that were valid at that\n"
           "instant by tokenId and hint (a token is valid strictly before its expiresAt). Oldest\n"
           "first. Answers are at command boundaries: --seq inside a command answers as of its\n"
           "last event (and says so), since pitd never showed a state between them. Every event\n"
           "up to the moment is verified, the last one too. Exits 1 if the log or its meta is\n"
           "damaged at or before the moment.\n\n"
           "Examples:\n"
           "  pit-replay --data DIR as-of --at 2026-11-28T17:00:00Z --account acct-1\n"
           "  pit-replay --data DIR as-of --seq 1200 --integration int_8f2c --format json";
  }

  int run(const po::variables_map& vm, ToolContext& ctx) const override {
    const std::string dataDir = dataOption(vm);
    auto at = timeOption(vm, "at");
    auto seq = countOption(vm, "seq", 1);
    if (at.has_value() == seq.has_value()) throw UsageError("as-of needs one of --at and --seq");
    const std::string format = vm["format"].as<std::string>();
    if (format != "text" && format != "json") {
      throw UsageError("--format must be text or json, not '" + format + "'");
    }
    auto account = stringOption(vm, "account");
    auto integration = stringOption(vm, "integration");
    const bool includeDeleted = vm.count("include-deleted") > 0;

    auto db = ReadingDatabase::open(dataDir, ReadingDatabase::Want::snapshot);
    const auto& store = db->store();
    if (auto problem = projections::checkStoredMeta(store)) {
      ctx.err << "pit-replay: the database is damaged: " << *problem << '\n';
      return kExitFinding;
    }
    const uint64_t stored = projections::lastStoredEventSeq(store);
    if (seq && *seq > stored) {
      throw UsageError("--seq " + std::to_string(*seq) + " is beyond the end of the log (" +
                       std::to_string(stored) + ")");
    }
    // Answers are given at command boundaries only: the events of one command became visible
    // together, so a state between them is one that pitd never showed.
    std::optional<uint64_t> asked = seq;
    if (seq) seq = commandEnd(store, *seq);

    Progress progress(ctx, "replaying");
    projections::MemoryViewStore views;
    projections::ReplayOptions options;
    options.toSeq = seq.value_or(0);
    options.until = at;
    options.progress = progress.callback();
    auto report = projections::replay(store, views, options);
    progress.finish();
    if (!report.ok()) {
      ctx.err << "pit-replay: the log is damaged at event " << *report.failedSeq << " ("
              << report.failure << "), at or before the moment asked for\n";
      return kExitFinding;
    }

    UnixMillis moment = at.value_or(0);
    if (seq) {
      auto bytes = events::readEvent(store, *seq);
      std::string error;
      auto event = events::DecodedEvent::decode(*bytes, &error);  // replayed just now
      moment = event->reader().getAt();
      if (*seq != *asked) {
        ctx.err << "pit-replay: event " << *asked << " is inside a command that ends at event "
                << *seq << "; answering as of the command's end (no state between its events "
                << "was ever visible)\n";
      }
    }

    std::vector<IntegrationView> selected;
    views.forEachIntegration([&](const IntegrationView& v) {
      if (v.deleted && !includeDeleted) return;
      if (account && v.accountId != *account) return;
      if (integration && v.id != *integration) return;
      selected.push_back(v);
    });
    std::sort(selected.begin(), selected.end(), [](const auto& a, const auto& b) {
      return a.createdSeq < b.createdSeq;
    });
    if (format == "json") {
      printJson(ctx, moment, report.position.lastSeq, selected);
    } else {
      printText(ctx, moment, report.position.lastSeq, selected);
    }
    return kExitOk;
  }
};

}  // namespace

std::unique_ptr<Subcommand> makeAsOf() { return std::make_unique<AsOf>(); }

}  // namespace pitlog::tools
