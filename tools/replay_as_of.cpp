// pit-replay as-of: every integration as it was at a time or sequence, rebuilt from the log
// with the same apply() as the live views (API.md's `asOf`, for an auditor, over all accounts).
#include <algorithm>

#include "database.h"
#include "event_text.h"
#include "json_output.h"
#include "projections/integration_view.h"
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
    auto tokens = v.validTokens(moment);
    if (tokens.empty()) ctx.out << "  no valid token\n";
    for (const auto& t : tokens) {
      ctx.out << "  token " << events::tokenIdOf(t.digest) << "  " << hintOf(t) << "  "
              << stateName(t.state) << "  issued " << events::formatRfc3339(t.issuedAt);
      if (t.expiresAt) ctx.out << "  expires " << events::formatRfc3339(*t.expiresAt);
      ctx.out << '\n';
    }
    if (v.rotation) {
      ctx.out << "  rotation started " << events::formatRfc3339(v.rotation->startedAt)
              << ", the previous token expires " << events::formatRfc3339(v.rotation->previousExpiresAt)
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
    auto valid = v.validTokens(moment);
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
    if (v.rotation) {
      auto fields = rotation.initObject(2);
      fields[0].setName("startedAt");
      fields[0].initValue().setString(events::formatRfc3339(v.rotation->startedAt));
      fields[1].setName("previousExpiresAt");
      fields[1].initValue().setString(events::formatRfc3339(v.rotation->previousExpiresAt));
    } else {
      rotation.setNull();
    }
  }
  ctx.out << toJson(report.asReader()) << '\n';
}

class AsOf final : public Subcommand {
 public:
  void addOptions(po::options_description& o) const override {
    o.add_options()
        ("at", po::value<std::string>()->value_name("TIME"),
         "the moment, RFC 3339: events at or before it count")
        ("seq", po::value<std::string>()->value_name("N"),
         "or: just after event N (the moment is that event's time)")
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
           "first. Exits 1 if the chain breaks before the moment.\n\n"
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
    if (seq && *seq > store.lastSeq()) {
      throw UsageError("--seq " + std::to_string(*seq) + " is beyond the end of the log (" +
                       std::to_string(store.lastSeq()) + ")");
    }

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
              << report.failure << "), before the moment asked for\n";
      return kExitFinding;
    }

    UnixMillis moment = at.value_or(0);
    if (seq) {
      auto bytes = events::readEvent(store, *seq);
      std::string error;
      auto event = events::DecodedEvent::decode(*bytes, &error);  // replayed just now
      moment = event->reader().getAt();
    }

    std::vector<IntegrationView> selected;
    for (const auto& [id, bytes] : views.family(projections::Family::integrations)) {
      auto v = projections::decodeIntegration(bytes);
      if (!v || (v->deleted && !includeDeleted)) continue;
      if (account && v->accountId != *account) continue;
      if (integration && v->id != *integration) continue;
      selected.push_back(std::move(*v));
    }
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
