// pit-replay trail: an account's audit report for people (who did what, when, with which
// request), read from the log itself while verifying its chain, so the report rests on the
// chain rather than on a view.
#include <algorithm>
#include <map>

#include "database.h"
#include "event_text.h"
#include "json_output.h"
#include "projections/integration_view.h"
#include "replay_common.h"
#include "replay_subcommands.h"

namespace pitlog::tools {
namespace {

using events::DecodedEvent;
using events::textView;
using events::UnixMillis;
using events::schema::Event;
using projections::IntegrationView;

std::vector<std::string> scopesOf(capnp::List<capnp::Text>::Reader list) {
  std::vector<std::string> out;
  for (auto s : list) out.emplace_back(textView(s));
  return out;
}

std::vector<std::string> minus(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> sa = a, sb = b, out;
  std::sort(sa.begin(), sa.end());
  std::sort(sb.begin(), sb.end());
  std::set_difference(sa.begin(), sa.end(), sb.begin(), sb.end(), std::back_inserter(out));
  return out;
}

// One line of the report.
struct Entry {
  std::string integrationId, integrationName;
  std::string sentence;
  std::vector<std::string> scopesAdded, scopesRemoved;
};

// The sentence for one event, given the integration as it was before it.
Entry describe(Event::Reader e, const IntegrationView& before, const IntegrationView& after) {
  Entry out;
  const auto body = e.getBody();
  if (events::isIntegrationEvent(body.which())) {
    out.integrationId = textView(e.getStreamId());
    out.integrationName = after.name.empty() ? before.name : after.name;
  }
  const std::string it = out.integrationId + " " + quotedText(out.integrationName);
  switch (body.which()) {
    case Event::Body::CREATED: {
      auto c = body.getCreated();
      out.scopesAdded = scopesOf(c.getScopes());
      out.sentence = "created integration " + it + " with scopes " +
                     joinList(out.scopesAdded, ", ") + "; issued token " +
                     tokenIdOf(c.getToken()) + " (pit_…" + std::string(textView(c.getTokenHint())) +
                     ")";
      break;
    }
    case Event::Body::SCOPES_UPDATED: {
      auto s = body.getScopesUpdated();
      auto scopes = scopesOf(s.getScopes());
      out.scopesAdded = minus(scopes, before.scopes);
      out.scopesRemoved = minus(before.scopes, scopes);
      std::vector<std::string> changes;
      if (!out.scopesAdded.empty()) changes.push_back("scopes added " + joinList(out.scopesAdded, ", "));
      if (!out.scopesRemoved.empty()) {
        changes.push_back("scopes removed " + joinList(out.scopesRemoved, ", "));
      }
      if (textView(s.getName()) != before.name) {
        changes.push_back("renamed from " + quotedText(before.name) + " to " + quotedText(textView(s.getName())));
      }
      if (textView(s.getDescription()) != before.description) {
        changes.push_back("description changed to " + quotedText(textView(s.getDescription())));
      }
      out.sentence = "edited integration " + it + ": " +
                     (changes.empty() ? std::string("nothing changed") : joinList(changes, "; "));
      break;
    }
    case Event::Body::ROTATION_STARTED: {
      auto r = body.getRotationStarted();
      out.sentence = "rotated the token of " + it + ": issued token " + tokenIdOf(r.getToken()) +
                     " (pit_…" + std::string(textView(r.getTokenHint())) + "); ";
      out.sentence += r.getExpireNow()
                          ? "the previous token " + tokenIdOf(r.getPreviousToken()) +
                                " expired at once"
                          : "the previous token " + tokenIdOf(r.getPreviousToken()) +
                                " stays valid until " +
                                events::formatRfc3339(r.getPreviousExpiresAt());
      break;
    }
    case Event::Body::ROTATION_CANCELLED: {
      auto r = body.getRotationCancelled();
      out.sentence = "cancelled the rotation of " + it + ": token " +
                     tokenIdOf(r.getCancelledToken()) + " revoked, token " +
                     tokenIdOf(r.getRestoredToken()) + " current again";
      break;
    }
    case Event::Body::EXPIRED: {
      auto x = body.getExpired();
      const std::string token = "token " + tokenIdOf(x.getToken()) + " of " + it;
      switch (x.getReason()) {
        case events::schema::Expired::Reason::MANUAL:
          out.sentence = "expired the previous " + token + " before its deadline";
          break;
        case events::schema::Expired::Reason::WINDOW_ELAPSED:
          out.sentence = token + " expired: its rotation window elapsed";
          break;
        case events::schema::Expired::Reason::ROTATED_NOW:
          out.sentence = token + " expired by a rotation with expire now";
          break;
        case events::schema::Expired::Reason::REVOKED:
          out.sentence = token + " revoked by value (POST /v1/revoke)";
          break;
      }
      break;
    }
    case Event::Body::DELETED:
      out.sentence = "deleted integration " + it + "; its tokens stopped working";
      break;
    case Event::Body::PERMISSION_CHANGED: {
      auto p = body.getPermissionChanged();
      out.sentence = p.getAllowed()
                         ? "granted user " + std::string(textView(p.getUserId())) +
                               " permission to manage integrations"
                         : "withdrew user " + std::string(textView(p.getUserId())) +
                               "'s permission to manage integrations";
      break;
    }
    case Event::Body::WEBHOOK_SUBSCRIBED: {
      auto w = body.getWebhookSubscribed();
      out.sentence = "subscribed webhook " + std::string(textView(w.getWebhookId())) + " to " +
                     quotedText(textView(w.getUrl())) + " for " + joinList(scopesOf(w.getEvents()), ", ");
      break;
    }
    case Event::Body::WEBHOOK_REMOVED:
      out.sentence = "removed webhook " + std::string(textView(body.getWebhookRemoved().getWebhookId()));
      break;
  }
  return out;
}

const char* roleText(events::schema::Actor::Role r) {
  switch (r) {
    case events::schema::Actor::Role::ADMIN: return "admin";
    case events::schema::Actor::Role::USER: return "user";
    case events::schema::Actor::Role::SYSTEM: return "system";
  }
  return "unknown";
}

void printJsonLine(ToolContext& ctx, Event::Reader e, const Entry& entry) {
  capnp::MallocMessageBuilder message;
  auto j = message.initRoot<json::TrailEntry>();
  j.setSeq(seqField(e.getSeq()));
  j.setAt(events::formatRfc3339(e.getAt()));
  j.setType(events::typeName(e.getBody().which()));
  j.setIntegrationId(entry.integrationId);
  j.setIntegrationName(entry.integrationName);
  auto actor = j.initActor();
  if (e.getActor().getRole() != events::schema::Actor::Role::SYSTEM) {
    actor.setAccountId(e.getActor().getAccountId());
  }
  actor.setUserId(e.getActor().getUserId());
  actor.setRole(roleText(e.getActor().getRole()));
  j.setRequestId(e.getRequestId());
  j.setSummary(entry.sentence);
  auto added = j.initScopesAdded(static_cast<unsigned>(entry.scopesAdded.size()));
  for (unsigned i = 0; i < entry.scopesAdded.size(); ++i) added.set(i, entry.scopesAdded[i]);
  auto removed = j.initScopesRemoved(static_cast<unsigned>(entry.scopesRemoved.size()));
  for (unsigned i = 0; i < entry.scopesRemoved.size(); ++i) removed.set(i, entry.scopesRemoved[i]);
  ctx.out << toJson(j.asReader()) << '\n';
}

class Trail final : public Subcommand {
 public:
  void addOptions(po::options_description& o) const override {
    o.add_options()
        ("account", po::value<std::string>()->value_name("ID"), "the account (required)")
        ("integration", po::value<std::string>()->value_name("ID"), "only this integration's events")
        ("since", po::value<std::string>()->value_name("TIME"), "events at or after this RFC 3339 time")
        ("until", po::value<std::string>()->value_name("TIME"), "events at or before this RFC 3339 time")
        ("format", po::value<std::string>()->value_name("text|jsonl")->default_value("text"),
         "jsonl: one JSON object per event {seq, at, type, integrationId, integrationName, actor, "
         "requestId, summary, scopesAdded, scopesRemoved}");
  }
  const char* synopsis() const override {
    return "trail --account ID [--integration ID] [--since TIME] [--until TIME] [--format text|jsonl]";
  }
  const char* help() const override {
    return "Prints an account's audit trail for people: when, which event, who (user and role, or\n"
           "the system's expiry scheduler), what (integrations created, edited with the scopes\n"
           "added and removed, tokens rotated, expired, revoked, integrations deleted, permissions\n"
           "granted or withdrawn) and the request id. Tokens are named by tokenId and hint only.\n"
           "The log is read from its first event and its chain verified on the way; if it breaks,\n"
           "the trail stops there and the exit status is 1.\n\n"
           "Examples:\n"
           "  pit-replay --data DIR trail --account acct-1\n"
           "  pit-replay --data DIR trail --account acct-1 --integration int_8f2c \\\n"
           "      --since 2026-11-01T00:00:00Z --until 2026-12-01T00:00:00Z --format jsonl";
  }

  int run(const po::variables_map& vm, ToolContext& ctx) const override {
    const std::string dataDir = dataOption(vm);
    auto account = stringOption(vm, "account");
    if (!account) throw UsageError("trail needs --account ID");
    auto integration = stringOption(vm, "integration");
    auto since = sinceOption(vm, "since");
    auto until = timeOption(vm, "until");
    const std::string format = vm["format"].as<std::string>();
    if (format != "text" && format != "jsonl") {
      throw UsageError("--format must be text or jsonl, not '" + format + "'");
    }
    const bool text = format == "text";

    auto db = ReadingDatabase::open(dataDir, ReadingDatabase::Want::snapshot);
    const auto& store = db->store();
    if (text) {
      ctx.out << "audit trail of account " << *account;
      if (integration) ctx.out << ", integration " << *integration;
      if (since) ctx.out << ", from " << events::formatRfc3339(*since);
      if (until) ctx.out << ", until " << events::formatRfc3339(*until);
      ctx.out << '\n';
    }

    std::map<std::string, IntegrationView, std::less<>> views;  // the account's integrations
    events::ChainVerifier chain;
    std::optional<std::string> broken;
    uint64_t brokenAt = 0, shown = 0;
    events::forEachEvent(store, 1, 0, [&](uint64_t seq, std::string_view bytes) {
      if (auto error = chain.feed(seq, bytes)) {
        broken = *error;
        brokenAt = chain.position().lastSeq + 1;
        return false;
      }
      std::string ignored;
      auto event = DecodedEvent::decode(bytes, &ignored);  // feed() decoded it
      auto e = event->reader();
      if (textView(e.getAccountId()) != *account) return true;
      IntegrationView before, after;
      if (events::isIntegrationEvent(e.getBody().which())) {
        auto& view = views[std::string(textView(e.getStreamId()))];
        before = view;
        view = projections::apply(std::move(view), e);
        after = view;
      }
      if (integration && (!events::isIntegrationEvent(e.getBody().which()) ||
                          textView(e.getStreamId()) != *integration)) {
        return true;
      }
      if ((since && e.getAt() < *since) || (until && e.getAt() > *until)) return true;
      Entry entry = describe(e, before, after);
      shown++;
      if (!text) {
        printJsonLine(ctx, e, entry);
        return true;
      }
      ctx.out << events::formatRfc3339(e.getAt()) << "  #" << seq << "  " << actorText(e.getActor())
              << "  " << entry.sentence;
      if (e.getRequestId().size() > 0) ctx.out << "  [request " << textView(e.getRequestId()) << "]";
      ctx.out << '\n';
      return true;
    });
    if (!broken) {
      try {
        broken = chain.checkMeta(store);
      } catch (const events::StoreError& e) {
        broken = e.what();
      }
      if (broken) brokenAt = chain.position().lastSeq + 1;
    }
    if (broken) {
      auto failure = events::diagnoseChainBreak(store, brokenAt, *broken);
      ctx.err << "pit-replay: the log is damaged at event " << failure.seq << " (" << failure.reason
              << "): the trail stops there and cannot be trusted beyond event "
              << (failure.seq > 0 ? failure.seq - 1 : 0) << '\n';
      if (text) ctx.out << "INCOMPLETE: the log is damaged at event " << failure.seq << '\n';
      return kExitFinding;
    }
    if (text) {
      ctx.out << shown << (shown == 1 ? " event" : " events") << "; the chain of all "
              << chain.position().lastSeq << " events was verified\n";
    }
    return kExitOk;
  }
};

}  // namespace

std::unique_ptr<Subcommand> makeTrail() { return std::make_unique<Trail>(); }

}  // namespace pitlog::tools
