// Webhook subscriptions as events (API.md "Token hygiene"): SubscribeWebhook creates or replaces
// (a replace keeps the secret's source, the creating event's id), RemoveWebhook deletes, both in
// the account's audit, with the usual authorization and If-Match; the webhooks view is rebuilt
// from the log exactly as stored (pit-replay verify's comparison).
#include <catch2/catch.hpp>

#include "commands/validate.h"
#include "core_support.h"
#include "support/temp_dir.h"

using namespace pitlog::coretest;
using pitlog::testing::TempDir;

namespace {

cmd::SubscribeWebhook subscribeAction(std::string id, std::string url = "https://example.com/h",
                                      std::vector<std::string> types = {"token.rotated"}) {
  cmd::SubscribeWebhook s;
  s.webhookId = std::move(id);
  s.url = std::move(url);
  s.events = std::move(types);
  s.keyFingerprint = ev::sha256("key-1");
  return s;
}

}  // namespace

TEST_CASE(
    "webhook subscriptions: create, replace (same secret source), remove, create again "
    "(a new one) - the view rebuilt from the log equals the stored one") {
  TempDir dir;
  FakeClock clock;
  auto engine = cmd::Engine::open(engineOptions(dir.str(), clock));
  const auto admin = adminActor("acct-1");

  auto created = engine->execute(command("acct-1", admin, subscribeAction("hook")));
  REQUIRE(created.ok());
  REQUIRE(created.webhook);
  CHECK(created.webhookCreated);
  CHECK(created.webhook->version == 1);
  CHECK(created.webhook->createdSeq == created.lastSeq);
  CHECK(created.webhook->secretEventId.size() == 16);
  const std::string secretFrom = created.webhook->secretEventId;

  auto replaced = engine->execute(command(
      "acct-1", admin,
      subscribeAction("hook", "https://example.com/b", {"token.expired", "integration.created"})));
  REQUIRE(replaced.ok());
  CHECK_FALSE(replaced.webhookCreated);
  CHECK(replaced.webhook->secretEventId == secretFrom);
  CHECK(replaced.webhook->createdSeq == created.lastSeq);
  CHECK(replaced.webhook->version == 2);
  CHECK(replaced.webhook->url == "https://example.com/b");
  CHECK(replaced.webhook->events ==
        std::vector<std::string>{"integration.created", "token.expired"});
  // The replace's event names the creating event's id; the creation's names none.
  auto events = allEvents(engine->store());
  REQUIRE(events.size() == 2);
  CHECK(events[0].reader().getBody().getWebhookSubscribed().getSecretEventId().size() == 0);
  CHECK(ev::dataView(events[1].reader().getBody().getWebhookSubscribed().getSecretEventId()) ==
        secretFrom);
  CHECK(typeOf(events[0]) == "WebhookSubscribed");
  CHECK(ev::textView(events[0].reader().getStreamId()) == "webhook/acct-1/hook");

  CHECK(engine->webhooks("acct-1").size() == 1);
  CHECK(engine->webhooks("acct-2").empty());
  CHECK_FALSE(engine->webhook("acct-2", "hook"));

  // Another account cannot remove it: it does not exist there.
  auto foreign =
      engine->execute(command("acct-2", adminActor("acct-2"), cmd::RemoveWebhook{"hook"}));
  CHECK(foreign.code == cmd::Code::notFound);

  auto removed = engine->execute(command("acct-1", admin, cmd::RemoveWebhook{"hook"}));
  REQUIRE(removed.ok());
  CHECK_FALSE(engine->webhook("acct-1", "hook"));
  CHECK(engine->execute(command("acct-1", admin, cmd::RemoveWebhook{"hook"})).code ==
        cmd::Code::notFound);

  auto again = engine->execute(command("acct-1", admin, subscribeAction("hook")));
  REQUIRE(again.ok());
  CHECK(again.webhookCreated);
  CHECK(again.webhook->secretEventId != secretFrom);
  CHECK(again.webhook->version == 4);  // the stream goes on after a delete

  // Audit: all four in the account's trail.
  auto page = engine->audit("acct-1", 0, 100, std::nullopt, std::nullopt);
  CHECK(page.events.size() == 4);

  engine->stop();
  CHECK(storeProblem(engine->store()) == std::nullopt);
}

TEST_CASE(
    "webhook subscriptions: a user who may not manage is 403, a stale If-Match is 412, a "
    "replace under another master key is 409, nothing appended") {
  TempDir dir;
  FakeClock clock;
  auto engine = cmd::Engine::open(engineOptions(dir.str(), clock));
  auto denied = engine->execute(command("acct-1", userActor("acct-1"), subscribeAction("hook")));
  CHECK(denied.code == cmd::Code::permissionDenied);
  REQUIRE(engine->execute(command("acct-1", adminActor("acct-1"), subscribeAction("hook"))).ok());
  auto c = command("acct-1", adminActor("acct-1"), subscribeAction("hook"));
  c.ifMatch = cmd::IfMatch{false, {7}};
  CHECK(engine->execute(c).code == cmd::Code::versionMismatch);
  // Made under one master key, it may not be replaced under another (its secret would change).
  auto otherKey = subscribeAction("hook");
  otherKey.keyFingerprint = ev::sha256("key-2");
  CHECK(engine->execute(command("acct-1", adminActor("acct-1"), otherKey)).code ==
        cmd::Code::conflict);
  CHECK(engine->lastSeq() == 1);
}

TEST_CASE(
    "webhook subscriptions: validation names the field: id, url, events (none, unknown, "
    "twice) - types are sorted") {
  auto check = [](cmd::SubscribeWebhook s, const std::string& field) {
    auto c = command("acct-1", adminActor("acct-1"), std::move(s));
    auto e = cmd::validate(c, cmd::ScopeCatalogue::builtIn());
    REQUIRE(e);
    CHECK(e->code == cmd::Code::invalidArgument);
    CHECK(e->field == field);
  };
  check(subscribeAction("bad/id"), "webhookId");
  check(subscribeAction("hook", ""), "url");
  check(subscribeAction("hook", "https://example.com/\x01"), "url");
  check(subscribeAction("hook", "https://example.com/h", {}), "events");
  check(subscribeAction("hook", "https://example.com/h", {"token.stolen"}), "events");
  check(subscribeAction("hook", "https://example.com/h", {"token.rotated", "token.rotated"}),
        "events");
  auto ok = command("acct-1", adminActor("acct-1"),
                    subscribeAction("hook", "https://example.com/h",
                                    {"token.rotated", "integration.created", "rotation.due"}));
  CHECK_FALSE(cmd::validate(ok, cmd::ScopeCatalogue::builtIn()));
  CHECK(std::get<cmd::SubscribeWebhook>(ok.action).events ==
        std::vector<std::string>{"integration.created", "rotation.due", "token.rotated"});
}
