// The engine's decision of one command (writer thread): authorization, idempotent replays, the
// state the decision needs, the events appended and projected into the batch's views.
#include <kj/exception.h>
#include <openssl/rand.h>

#include <map>

#include "commands/engine_internal.h"
#include "commands/idempotency_record.h"
#include "projections/projector.h"
#include "projections/token_entry.h"

namespace pitlog::commands {

using events::DecodedEvent;
using events::UnixMillis;
using projections::Family;
using projections::IntegrationView;
namespace keys = events::keys;

CommandResult Engine::executeOne(Pending& p, projections::ViewStore& views, Decided& d,
                                 UnixMillis now) {
  const Command& cmd = p.command;
  const std::optional<bool> actorPermission =
      readPermission(views, cmd.accountId, cmd.actor.userId);
  if (auto denied = authorize(cmd, actorPermission)) return CommandResult::failure(std::move(*denied));

  // A repeated idempotency key answers as the first request did and appends nothing. The record
  // is known durable, or the first request's batch is ahead of this one in the pipeline (and
  // its failure fails this one): the views read here are durable ones (a database showing more
  // than memory's durable position is never read, see undecidable_) or undurable_'s.
  std::string idemKey;
  if (cmd.idempotency) {
    idemKey = keys::idempotencyKey(cmd.accountId, cmd.idempotency->key);
    if (auto bytes = views.get(Family::idempotency, idemKey)) {
      auto first = decodeIdempotency(*bytes);
      if (first && now - first->at < kIdempotencyTtlMs) {
        if (first->fingerprint != cmd.idempotency->fingerprint) {
          return CommandResult::failure(
              {Code::conflict,
               "Idempotency-Key '" + cmd.idempotency->key +
                   "' was used for a different request in the last 24 hours",
               "Idempotency-Key"});
        }
        CommandResult r;
        r.replayed = true;
        r.version = first->version;
        r.firstSeq = first->firstSeq;
        r.lastSeq = first->lastSeq;
        if (const auto* outcome = undurable_.findOutcome(idemKey)) {
          // The first request is in a batch not yet durable (this one included): the view it
          // left, kept as it answered, since later commands of those batches may have changed
          // the integration and none of its events is in the log yet.
          r.integration = *outcome;
        } else if (!first->integrationId.empty()) {
          // The first request is durable: the current view when nothing has changed since,
          // otherwise a fold of its stream in the log up to the version it left.
          auto current = projections::loadIntegration(views, first->integrationId);
          if (current && current->version == first->version) {
            r.integration = std::move(current);
          } else {
            r.integration = integrationAtVersion(first->integrationId, first->version);
          }
        }
        if (!first->userId.empty()) {
          r.userId = first->userId;
          r.allowed = first->allowed;
        }
        if (const auto* s = std::get_if<SubscribeWebhook>(&cmd.action)) {
          // The subscription as it is now (never its secret, like a replayed token): created by
          // the first request when its event is the one the subscription started at.
          const auto key = keys::webhookKey(cmd.accountId, s->webhookId);
          if (auto bytes = views.get(Family::webhooks, key)) {
            r.webhook = projections::decodeWebhookView(*bytes);
            r.webhookCreated = r.webhook && r.webhook->createdSeq == first->firstSeq;
          }
        }
        return r;
      }
    }
  }

  // Gather the state the decision needs.
  DecisionInput in;
  in.now = now;
  in.rotationWindowMs = options_.rotationWindowMs;
  in.token = p.token ? &*p.token : nullptr;
  in.actorPermission = actorPermission;
  std::optional<IntegrationView> target;
  const std::string& targetId = targetIntegration(cmd.action);
  if (!targetId.empty()) {
    target = projections::loadIntegration(views, targetId);
    in.integration = target ? &*target : nullptr;
  } else if (std::holds_alternative<CreateIntegration>(cmd.action)) {
    in.newIntegrationId = newIntegrationId();
  }
  const auto* setPermission = std::get_if<SetPermission>(&cmd.action);
  if (setPermission) {
    const std::string stream = keys::permissionStreamId(cmd.accountId, setPermission->userId);
    undurable_.tellAppender(*appender_, stream);
    in.permissionStreamVersion = appender_->streamVersion(stream);
  }

  // The webhook commands: the live subscription and its stream's version (the stream outlives a
  // delete, so a re-created subscription continues its versions).
  std::optional<projections::WebhookView> webhook;
  std::string webhookId;
  if (const auto* s = std::get_if<SubscribeWebhook>(&cmd.action)) webhookId = s->webhookId;
  if (const auto* r = std::get_if<RemoveWebhook>(&cmd.action)) webhookId = r->webhookId;
  if (!webhookId.empty()) {
    if (auto bytes = views.get(Family::webhooks, keys::webhookKey(cmd.accountId, webhookId))) {
      webhook = projections::decodeWebhookView(*bytes);
    }
    in.webhook = webhook ? &*webhook : nullptr;
    const std::string stream = keys::webhookStreamId(cmd.accountId, webhookId);
    undurable_.tellAppender(*appender_, stream);
    in.webhookStreamVersion = appender_->streamVersion(stream);
  }

  if (!targetId.empty()) {
    appender_->knowStreamVersion(targetId, target ? target->version : 0);
  } else if (!in.newIntegrationId.empty()) {
    appender_->knowStreamVersion(in.newIntegrationId, 0);
  }
  // Revocation: each digest's integration, found through the tokens family (its entry exists while
  // the token may be valid). Every digest costs the same reads whether it is known or not, up to
  // the loading of a view the first time one is found. std::map keeps the views' addresses stable.
  std::map<std::string, std::optional<IntegrationView>> revoked;
  if (const auto* revoke = std::get_if<RevokeTokens>(&cmd.action)) {
    d.revocation = true;
    for (const auto& digest : revoke->tokens) {
      RevocationTarget t{digest, nullptr};
      const auto entryBytes = views.get(Family::tokens, events::Sha256::asView(digest));
      const auto entry = entryBytes ? projections::decodeTokenEntry(*entryBytes) : std::nullopt;
      if (entry) {
        auto [it, fresh] = revoked.try_emplace(entry->integrationId);
        if (fresh) {
          it->second = projections::loadIntegration(views, entry->integrationId);
          appender_->knowStreamVersion(it->first, it->second ? it->second->version : 0);
        }
        t.integration = it->second ? &*it->second : nullptr;
      }
      in.revocations.push_back(t);
    }
  }
  auto decision = decide(cmd, in);
  if (auto* error = std::get_if<Error>(&decision)) return CommandResult::failure(std::move(*error));
  auto& events = std::get<Decision>(decision).events;

  CommandResult r;
  if (events.empty()) return r;  // the scheduler's no-op

  events::EventContext context{cmd.actor, cmd.requestId, now};
  for (const auto& e : events) undurable_.tellAppender(*appender_, e.streamId);
  auto appended = appender_->append(d.batch, events, context);
  if (auto* conflict = std::get_if<events::LogAppender::VersionConflict>(&appended)) {
    return CommandResult::failure({Code::versionMismatch,
                                   "stream '" + conflict->streamId + "' moved on concurrently",
                                   {}});
  }
  auto& written = std::get<std::vector<events::AppendedEvent>>(appended);
  for (size_t i = 0; i < written.size(); ++i) {
    undurable_.recordStream(events[i].streamId, written[i].streamVersion);
  }
  for (auto& a : written) {
    std::string error;
    auto decoded = DecodedEvent::decode(a.bytes, &error);
    KJ_ASSERT(decoded != std::nullopt, "an event we just encoded does not decode", error);
    // The projection step; applyCommit() runs the same one for commits read from the log.
    auto after = projections::project(views, decoded->reader(), &d.tokenChanges);
    if (after.exists()) r.integration = std::move(after);
    // Moved, not copied (the batch holds its own copy, the decoded event its own): a commit costs
    // a single-node writer no more than a vector of its events.
    d.commitSize.addEvent(a.bytes.size());
    d.commit.events.push_back({a.seq, a.hash, std::move(a.bytes)});
  }
  r.firstSeq = written.front().seq;
  r.lastSeq = written.back().seq;
  r.version = written.back().streamVersion;
  if (p.token) r.token = p.token->plaintext;
  if (setPermission) {
    r.userId = setPermission->userId;
    r.allowed = setPermission->allowed;
  }
  if (std::holds_alternative<SubscribeWebhook>(cmd.action)) {
    auto bytes = views.get(Family::webhooks, keys::webhookKey(cmd.accountId, webhookId));
    KJ_ASSERT(bytes != std::nullopt, "a webhook just projected is not in the views", webhookId);
    r.webhook = projections::decodeWebhookView(*bytes);
    r.webhookCreated = !webhook.has_value();
  }
  if (cmd.idempotency) {
    IdempotencyEntry entry;
    entry.fingerprint = cmd.idempotency->fingerprint;
    entry.at = now;
    entry.integrationId = r.integration ? r.integration->id : std::string();
    entry.version = r.version;
    entry.firstSeq = r.firstSeq;
    entry.lastSeq = r.lastSeq;
    entry.userId = r.userId;
    entry.allowed = r.allowed.value_or(false);
    // In the commit too: a retry on another node replays it.
    std::string record = encodeIdempotency(entry);
    views.put(Family::idempotency, idemKey, record);
    d.commitSize.addIdempotency(idemKey.size(), record.size());
    d.commit.idempotency.push_back({idemKey, std::move(record)});
    undurable_.recordOutcome(idemKey, r.integration);
  }
  return r;
}

std::string Engine::newIntegrationId() const {
  unsigned char random[12];
  if (RAND_bytes(random, sizeof random) != 1) throw events::StoreError("OpenSSL: CSPRNG failure");
  return "int_" + events::toHex(std::string_view(reinterpret_cast<char*>(random), sizeof random));
}

}  // namespace pitlog::commands
