// pit-replay, run in-process: verify (clean, tampered log, tampered views, checkpoints), as-of
// against the known history, the audit trail, rebuild, and usage.
#include <capnp/compat/json.h>
#include <capnp/message.h>

#include <catch2/catch.hpp>

#include <fstream>

#include "events/keys.h"
#include "events/log.h"
#include "events/merkle.h"
#include "events/proof_json.h"
#include "pit_replay.h"
#include "projections/integration_view.h"
#include "tool_fixture.h"

namespace pitlog::tools::testing {
namespace {

using events::keys::Family;
namespace keys = events::keys;

std::string failingSeq(const ToolRun& run) {
  auto pos = run.out.find("first failing sequence: ");
  if (pos == std::string::npos) return "(none)";
  pos += std::string("first failing sequence: ").size();
  return run.out.substr(pos, run.out.find('\n', pos) - pos);
}

ToolRun verify(const HistoryDb& db) { return replay({"--data", db.dir(), "verify"}); }

events::DecodedEvent decodeStored(const std::string& dir, uint64_t seq) {
  std::string error;
  auto e = events::DecodedEvent::decode(getEvent(dir, seq), &error);
  REQUIRE(e);
  return std::move(*e);
}

// A JSON object's field, by name.
capnp::JsonValue::Reader field(capnp::JsonValue::Reader object, const char* name) {
  REQUIRE(object.isObject());
  for (auto f : object.getObject()) {
    if (f.getName() == name) return f.getValue();
  }
  FAIL("no field " << name);
  return {};
}

struct Json {
  capnp::MallocMessageBuilder message;
  capnp::JsonValue::Reader root;
  explicit Json(const std::string& text) {
    capnp::JsonCodec codec;
    auto b = message.initRoot<capnp::JsonValue>();
    codec.decodeRaw(kj::ArrayPtr<const char>(text.data(), text.size()), b);
    root = b.asReader();
  }
};

std::string writeFile(const HistoryDb& db, const std::string& name, const std::string& text) {
  std::string path = db.temp().sub(name);
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE("verify passes on a clean log, stopped or live", "[pit-replay][verify]") {
  HistoryDb db;
  auto run = verify(db);
  INFO(run.out << run.err);
  CHECK(run.code == kExitOk);
  CHECK_THAT(run.out, Catch::Contains("(read-only)") && Catch::Contains("chain: ok, 9 events") &&
                          Catch::Contains("views: ok") && Catch::EndsWith("verified\n"));

  auto engine = db.openEngine(kT0 + 20 * kDay);
  HistoryDb::editA(*engine, db.a, "live");
  auto live = verify(db);
  INFO(live.out << live.err);
  CHECK(live.code == kExitOk);
  CHECK_THAT(live.out, Catch::Contains("secondary") && Catch::Contains("chain: ok, 10 events"));
}

TEST_CASE("verify names the event whose bytes were altered", "[pit-replay][verify]") {
  HistoryDb db;
  SECTION("a name in the middle of the log") {
    putEvent(db.dir(), 4, replaceOnce(getEvent(db.dir(), 4), "Billing", "Bulling"));
    auto run = verify(db);
    INFO(run.out);
    CHECK(run.code == kExitFinding);
    CHECK(failingSeq(run) == "4");
    CHECK_THAT(run.out, Catch::Contains("event 4 was altered") &&
                            Catch::Contains("views: not compared"));
  }
  SECTION("the first event") {
    putEvent(db.dir(), 1, replaceOnce(getEvent(db.dir(), 1), "CRM sync", "CRM sinc"));
    auto run = verify(db);
    CHECK(run.code == kExitFinding);
    CHECK(failingSeq(run) == "1");
  }
  SECTION("the last event, whose successor is meta/chain_head") {
    putEvent(db.dir(), 9, replaceOnce(getEvent(db.dir(), 9), "req-9", "req-8"));
    auto run = verify(db);
    INFO(run.out);
    CHECK(run.code == kExitFinding);
    CHECK(failingSeq(run) == "9");
    CHECK_THAT(run.out, Catch::Contains("meta/chain_head"));
  }
  SECTION("an event's prevHash: that event, not the one before") {
    auto bytes = getEvent(db.dir(), 5);
    const events::Digest prevHash = decodeStored(db.dir(), 5).prevHash();
    const std::string prev(events::Sha256::asView(prevHash));
    std::string flipped = prev;
    flipped[0] = static_cast<char>(flipped[0] ^ 1);
    putEvent(db.dir(), 5, replaceOnce(bytes, prev, flipped));
    auto run = verify(db);
    INFO(run.out);
    CHECK(run.code == kExitFinding);
    CHECK(failingSeq(run) == "5");
    CHECK_THAT(run.out, Catch::Contains("event 5 was altered: its prevHash"));
  }
  SECTION("an event's sequence field") {
    // Swap two stored events: each is now under the other's key.
    auto six = getEvent(db.dir(), 6), seven = getEvent(db.dir(), 7);
    putEvent(db.dir(), 6, seven);
    putEvent(db.dir(), 7, six);
    auto run = verify(db);
    CHECK(run.code == kExitFinding);
    CHECK(failingSeq(run) == "6");
  }
  SECTION("bytes that no longer decode") {
    auto bytes = getEvent(db.dir(), 3);
    bytes[0] = '\x7f';
    putEvent(db.dir(), 3, bytes);
    auto run = verify(db);
    INFO(run.out);
    CHECK(run.code == kExitFinding);
    CHECK(failingSeq(run) == "3");
    CHECK_THAT(run.out, Catch::Contains("does not decode"));
  }
}

TEST_CASE("verify names a deleted event", "[pit-replay][verify]") {
  HistoryDb db;
  SECTION("in the middle") {
    deleteEvent(db.dir(), 5);
    auto run = verify(db);
    INFO(run.out);
    CHECK(run.code == kExitFinding);
    CHECK(failingSeq(run) == "5");
    CHECK_THAT(run.out, Catch::Contains("event 5 is missing"));
  }
  SECTION("at the end") {
    deleteEvent(db.dir(), 9);
    auto run = verify(db);
    INFO(run.out);
    CHECK(run.code == kExitFinding);
    CHECK(failingSeq(run) == "9");
    CHECK_THAT(run.out, Catch::Contains("removed from its end"));
  }
}

TEST_CASE("verify reports damaged meta as a finding", "[pit-replay][verify]") {
  HistoryDb db;
  putView(db.dir(), Family::meta, std::string(keys::kMetaChainHead), "short");
  auto run = verify(db);
  INFO(run.out << run.err);
  CHECK(run.code == kExitFinding);
  CHECK_THAT(run.out, Catch::Contains("meta/chain_head is damaged"));
}

TEST_CASE("verify names a stored view that differs from its rebuild", "[pit-replay][verify]") {
  HistoryDb db;
  SECTION("an integration's name") {
    auto view = getView(db.dir(), Family::integrations, db.a);
    REQUIRE(view);
    putView(db.dir(), Family::integrations, db.a, replaceOnce(*view, "CRM sync v2", "CRM sync v3"));
    auto run = verify(db);
    INFO(run.out);
    CHECK(run.code == kExitFinding);
    CHECK_THAT(run.out, Catch::Contains("chain: ok") &&
                            Catch::Contains("views: FAILED: integrations view " + db.a) &&
                            Catch::Contains("fields that differ: name)"));
    CHECK(failingSeq(run) == "8");  // A's last event
  }
  SECTION("a token entry that was removed") {
    auto digest = events::sha256(db.t3);
    deleteView(db.dir(), Family::tokens, std::string(events::Sha256::asView(digest)));
    auto run = verify(db);
    INFO(run.out);
    CHECK(run.code == kExitFinding);
    CHECK_THAT(run.out, Catch::Contains("tokens view digest " + events::toHex(digest)) &&
                            Catch::Contains("in the rebuild but not stored") &&
                            Catch::Contains("a token of integration " + db.a));
    CHECK(failingSeq(run) == "8");
  }
  SECTION("a token entry that was added") {
    auto digest = events::sha256("pit_forged");
    auto entry = getView(db.dir(), Family::tokens, std::string(events::Sha256::asView(events::sha256(db.t3))));
    REQUIRE(entry);
    putView(db.dir(), Family::tokens, std::string(events::Sha256::asView(digest)), *entry);
    auto run = verify(db);
    CHECK(run.code == kExitFinding);
    CHECK_THAT(run.out, Catch::Contains("stored but absent from the rebuild"));
  }
  SECTION("a stored Merkle tree node") {
    {  // 18 events: the first 16 complete the first stored node, (level 4, index 0)
      auto engine = db.openEngine(kT0 + 20 * kDay);
      for (int i = 0; i < 9; ++i) HistoryDb::editA(*engine, db.a, "edit " + std::to_string(i));
    }
    putView(db.dir(), Family::merkle, keys::merkleNodeKey(4, 0), std::string(32, 'x'));
    auto run = verify(db);
    INFO(run.out);
    CHECK(run.code == kExitFinding);
    CHECK_THAT(run.out, Catch::Contains("merkle view") &&
                            Catch::Contains("stored value differs from the rebuild"));
    CHECK(failingSeq(run) == "16");
  }
  SECTION("a Merkle tree node below the stored levels") {
    // Leaf 4 is event 5's; nodes below level 4 are computed from the events, never stored.
    putView(db.dir(), Family::merkle, keys::merkleNodeKey(0, 4), std::string(32, 'x'));
    auto run = verify(db);
    INFO(run.out);
    CHECK(run.code == kExitFinding);
    CHECK_THAT(run.out, Catch::Contains("merkle view") &&
                            Catch::Contains("stored but absent from the rebuild"));
    CHECK(failingSeq(run) == "5");
  }
  SECTION("a permission") {
    putView(db.dir(), Family::permissions, keys::permissionKey("acct-1", "bob"), std::string(1, '\0'));
    auto run = verify(db);
    INFO(run.out);
    CHECK(run.code == kExitFinding);
    CHECK_THAT(run.out, Catch::Contains("permissions view acct-1\\0bob"));
    CHECK(failingSeq(run) == "3");
  }
  SECTION("the audit index") {
    deleteView(db.dir(), Family::auditByAccount, keys::auditKey("acct-2", 9));
    auto run = verify(db);
    CHECK(run.code == kExitFinding);
    CHECK(failingSeq(run) == "9");
  }
}

TEST_CASE("checkpoint, then verify --against it", "[pit-replay][checkpoint]") {
  HistoryDb db;
  auto cp = replay({"--data", db.dir(), "checkpoint"});
  INFO(cp.err);
  REQUIRE(cp.code == kExitOk);
  REQUIRE(cp.lines().size() == 1);
  Json statement(cp.lines()[0]);
  CHECK(field(statement.root, "format").getString() == "pitlog-checkpoint/1");
  CHECK(field(statement.root, "seq").getNumber() == 9);
  CHECK(field(statement.root, "at").getString() == "2026-11-12T10:00:00.000Z");
  CHECK(field(statement.root, "takenAt").getString() == "2026-12-01T10:00:00.000Z");
  const std::string head = events::toHex(decodeStored(db.dir(), 9).hash());
  CHECK(field(statement.root, "hash").getString() == head);
  const std::string file = writeFile(db, "cp.json", cp.out);

  auto same = replay({"--data", db.dir(), "verify", "--against", file});
  INFO(same.out << same.err);
  CHECK(same.code == kExitOk);
  CHECK_THAT(same.out, Catch::Contains("checkpoint: ok") && Catch::Contains("(0 events since)"));

  // The log grows: it still extends the checkpoint.
  {
    auto engine = db.openEngine(kT0 + 20 * kDay);
    HistoryDb::editA(*engine, db.a, "later");
  }
  auto grown = replay({"--data", db.dir(), "verify", "--against", file});
  CHECK(grown.code == kExitOk);
  CHECK_THAT(grown.out, Catch::Contains("(1 events since)"));

  SECTION("another history, equally long, does not extend it") {
    HistoryDb other;
    auto run = replay({"--data", other.dir(), "verify", "--against", file});
    INFO(run.out);
    CHECK(run.code == kExitFinding);
    CHECK_THAT(run.out, Catch::Contains("checkpoint: FAILED") && Catch::Contains("rewritten"));
    CHECK(failingSeq(run) == "9");
  }
  SECTION("a shorter log does not extend a later checkpoint") {
    auto later = replay({"--data", db.dir(), "checkpoint"});
    REQUIRE(later.code == kExitOk);
    HistoryDb other;
    auto run = replay({"--data", other.dir(), "verify",
                       "--against", writeFile(db, "later.json", later.out)});
    CHECK(run.code == kExitFinding);
    CHECK_THAT(run.out, Catch::Contains("events were removed"));
  }
  SECTION("a file that is not a checkpoint is bad usage") {
    const std::vector<std::string> texts = {"{}", "not json", R"({"format":"other","seq":1})",
                                            cp.out.substr(0, cp.out.size() / 2)};
    for (const auto& text : texts) {
      auto run = replay({"--data", db.dir(), "verify", "--against", writeFile(db, "bad.json", text)});
      INFO(text);
      CHECK(run.code == kExitUsage);
    }
    CHECK(replay({"--data", db.dir(), "verify", "--against", db.temp().sub("none")}).code ==
          kExitUsage);
  }
  SECTION("every field of the file is checked before the log is blamed") {
    const std::string eventId = field(statement.root, "eventId").getString();
    const std::vector<std::pair<std::string, std::string>> edits = {
        {"\"eventId\":\"" + eventId + "\"", "\"eventId\":\"not hex at all\""},
        {"\"takenAt\":\"2026-12-01T10:00:00.000Z\"", "\"takenAt\":\"2030-01-01T00:00:00.000Z\""},
        {"\"at\":\"2026-11-12T10:00:00.000Z\"", "\"at\":\"2026-12-24T10:00:00.000Z\""},
    };
    for (const auto& [from, to] : edits) {
      INFO(to);
      REQUIRE(cp.out.find(from) != std::string::npos);
      std::string text = cp.out;
      text.replace(text.find(from), from.size(), to);
      auto run = replay({"--data", db.dir(), "verify", "--against", writeFile(db, "edited.json", text)});
      CHECK(run.code == kExitUsage);
    }
    // A seq changed in the file: the event there is not the one the file describes.
    auto moved = replay({"--data", db.dir(), "verify", "--against",
                         writeFile(db, "moved.json", replaceOnce(cp.out, "\"seq\":9,", "\"seq\":8,"))});
    INFO(moved.out);
    CHECK(moved.code == kExitFinding);
    CHECK_THAT(moved.out, Catch::Contains("either the checkpoint file was altered"));
  }
}

TEST_CASE("checkpoint refuses a broken chain", "[pit-replay][checkpoint]") {
  HistoryDb db;
  putEvent(db.dir(), 2, replaceOnce(getEvent(db.dir(), 2), "CRM sync v2", "CRM sync v9"));
  auto run = replay({"--data", db.dir(), "checkpoint"});
  CHECK(run.code == kExitFinding);
  CHECK(run.out.empty());
  CHECK_THAT(run.err, Catch::Contains("event 2"));
}

TEST_CASE("as-of answers against the known history", "[pit-replay][as-of]") {
  HistoryDb db;
  const std::string t1 = HistoryDb::tokenId(db.t1), t2 = HistoryDb::tokenId(db.t2),
                    t3 = HistoryDb::tokenId(db.t3), tb = HistoryDb::tokenId(db.tb);
  auto asOf = [&](Argv args) {
    Argv full{"--data", db.dir(), "as-of"};
    full.insert(full.end(), args.begin(), args.end());
    auto run = replay(full);
    INFO(run.err);
    REQUIRE(run.code == kExitOk);
    return run.out;
  };

  SECTION("before the edit: the original name and scopes, T1 current") {
    auto out = asOf({"--at", "2026-11-01T10:30:00Z"});
    CHECK_THAT(out, Catch::Contains("through event 1") && Catch::Contains("\"CRM sync\"") &&
                        Catch::Contains("scopes contacts.readonly\n") &&
                        Catch::Contains("token " + t1 + "  pit_…" + db.t1.substr(49) + "  current"));
    CHECK(out.find(db.b) == std::string::npos);
    CHECK_THAT(out, Catch::EndsWith("1 integration\n"));
  }
  SECTION("--seq N is just after event N") {
    auto out = asOf({"--seq", "1"});
    CHECK_THAT(out, Catch::Contains("as of 2026-11-01T10:00:00.000Z (through event 1)") &&
                        Catch::Contains("\"CRM sync\""));
  }
  SECTION("inside the rotation window: both tokens, the previous with its deadline") {
    auto out = asOf({"--at", "2026-11-03T00:00:00Z", "--account", "acct-1"});
    CHECK_THAT(out, Catch::Contains("\"CRM sync v2\"") &&
                        Catch::Contains("scopes contacts.readonly, contacts.write") &&
                        Catch::Contains("token " + t2) && Catch::Contains("token " + t1) &&
                        Catch::Contains("previous  issued 2026-11-01T10:00:00.000Z  expires "
                                        "2026-11-09T10:00:00.000Z") &&
                        Catch::Contains("rotation started 2026-11-02T10:00:00.000Z"));
    CHECK(out.find(db.b) == std::string::npos);  // another account
  }
  SECTION("at the deadline, before the scheduler wrote Expired: T1 is no longer valid") {
    auto out = asOf({"--at", "2026-11-09T10:00:00Z", "--integration", db.a});
    CHECK_THAT(out, Catch::Contains("token " + t2));
    CHECK(out.find("token " + t1) == std::string::npos);
    auto before = asOf({"--at", "2026-11-09T09:59:59.999Z", "--integration", db.a});
    CHECK_THAT(before, Catch::Contains("token " + t1));
  }
  SECTION("after the deletion: B is gone unless asked for") {
    auto out = asOf({"--at", "2026-12-01T00:00:00Z"});
    CHECK_THAT(out, Catch::Contains("token " + t3) && Catch::EndsWith("1 integration\n"));
    CHECK(out.find("token " + t2) == std::string::npos);
    CHECK(out.find(db.b) == std::string::npos);
    auto all = asOf({"--at", "2026-12-01T00:00:00Z", "--include-deleted"});
    CHECK_THAT(all, Catch::Contains(db.b + "  \"Billing\"  account acct-2  deleted") &&
                        Catch::Contains("no valid token"));
    CHECK(all.find(tb) == std::string::npos);
  }
  SECTION("JSON: API.md's integration shape") {
    auto out = asOf({"--at", "2026-11-03T00:00:00Z", "--format", "json"});
    Json report(out);
    CHECK(field(report.root, "asOf").getString() == "2026-11-03T00:00:00.000Z");
    CHECK(field(report.root, "seq").getNumber() == 5);
    auto list = field(report.root, "integrations").getArray();
    REQUIRE(list.size() == 2);
    auto a = list[0];
    CHECK(field(a, "id").getString() == db.a);
    CHECK(field(a, "status").getString() == "active");
    CHECK(field(a, "version").getNumber() == 3);
    CHECK(field(a, "scopes").getArray().size() == 2);
    auto tokens = field(a, "tokens").getArray();
    REQUIRE(tokens.size() == 2);
    CHECK(field(tokens[0], "tokenId").getString() == t2);
    CHECK(field(tokens[0], "state").getString() == "current");
    CHECK(field(tokens[0], "expiresAt").isNull());
    CHECK(field(tokens[1], "tokenId").getString() == t1);
    CHECK(field(tokens[1], "expiresAt").getString() == "2026-11-09T10:00:00.000Z");
    CHECK(field(field(a, "rotation"), "previousExpiresAt").getString() ==
          "2026-11-09T10:00:00.000Z");
    CHECK(field(list[1], "rotation").isNull());
    CHECK(field(list[1], "accountId").getString() == "acct-2");
  }
  SECTION("usage") {
    for (Argv bad : {Argv{}, Argv{"--at", "2026-11-03T00:00:00Z", "--seq", "3"},
                     Argv{"--at", "tomorrow"}, Argv{"--seq", "10"}, Argv{"--seq", "0"},
                     Argv{"--seq", "3", "--format", "yaml"}}) {
      Argv full{"--data", db.dir(), "as-of"};
      full.insert(full.end(), bad.begin(), bad.end());
      CHECK(replay(full).code == kExitUsage);
    }
  }
}

TEST_CASE("trail: who did what, when, for people", "[pit-replay][trail]") {
  HistoryDb db;
  auto run = replay({"--data", db.dir(), "trail", "--account", "acct-1"});
  INFO(run.out << run.err);
  REQUIRE(run.code == kExitOk);
  auto lines = run.lines();
  REQUIRE(lines.size() == 9);  // header, 7 events, footer
  CHECK(lines[0] == "audit trail of account acct-1");
  CHECK(lines[1] == "2026-11-01T10:00:00.000Z  #1  alice (admin)  created integration " + db.a +
                        " \"CRM sync\" with scopes contacts.readonly; issued token " +
                        HistoryDb::tokenId(db.t1) + " (pit_…" + db.t1.substr(49) +
                        ")  [request req-1]");
  CHECK_THAT(lines[2], Catch::Contains("#2  alice (admin)  edited integration " + db.a +
                                       " \"CRM sync v2\": scopes added contacts.write; renamed "
                                       "from \"CRM sync\" to \"CRM sync v2\"  [request req-2]"));
  CHECK_THAT(lines[3], Catch::Contains("granted user bob permission to manage integrations"));
  CHECK_THAT(lines[4], Catch::Contains("rotated the token of " + db.a) &&
                           Catch::Contains("stays valid until 2026-11-09T10:00:00.000Z"));
  CHECK_THAT(lines[5], Catch::Contains("#6  system  token " + HistoryDb::tokenId(db.t1)) &&
                           Catch::Contains("rotation window elapsed"));
  CHECK(lines[5].find("[request") == std::string::npos);
  CHECK_THAT(lines[6], Catch::Contains("expired at once"));
  CHECK_THAT(lines[7], Catch::Contains("expired by a rotation with expire now"));
  CHECK(lines[8] == "7 events; the chain of all 9 events was verified");
  CHECK(run.out.find("Billing") == std::string::npos);
  for (const auto& token : {db.t1, db.t2, db.t3}) CHECK(run.out.find(token) == std::string::npos);

  auto other = replay({"--data", db.dir(), "trail", "--account", "acct-2"});
  CHECK_THAT(other.out, Catch::Contains("#4  carol (admin)  created integration " + db.b) &&
                            Catch::Contains("#9  carol (admin)  deleted integration " + db.b +
                                            " \"Billing\""));

  SECTION("one integration, a time range") {
    auto some = replay({"--data", db.dir(), "trail", "--account", "acct-1", "--integration", db.a,
                        "--since", "2026-11-01T11:00:00Z", "--until", "2026-11-10T12:00:00Z"});
    REQUIRE(some.code == kExitOk);
    auto l = some.lines();
    REQUIRE(l.size() == 5);
    CHECK_THAT(l[1], Catch::Contains("#2 "));
    CHECK_THAT(l[2], Catch::Contains("#5 "));  // not the permission change (#3)
    CHECK_THAT(l[3], Catch::Contains("#6 "));
  }
  SECTION("jsonl") {
    auto json = replay({"--data", db.dir(), "trail", "--account", "acct-1", "--format", "jsonl"});
    REQUIRE(json.code == kExitOk);
    auto l = json.lines();
    REQUIRE(l.size() == 7);
    Json edit(l[1]);
    CHECK(field(edit.root, "seq").getNumber() == 2);
    CHECK(field(edit.root, "type").getString() == "ScopesUpdated");
    CHECK(field(edit.root, "integrationName").getString() == "CRM sync v2");
    CHECK(field(edit.root, "requestId").getString() == "req-2");
    CHECK(field(field(edit.root, "actor"), "userId").getString() == "alice");
    REQUIRE(field(edit.root, "scopesAdded").getArray().size() == 1);
    CHECK(field(edit.root, "scopesAdded").getArray()[0].getString() == "contacts.write");
    CHECK(field(edit.root, "scopesRemoved").getArray().size() == 0);
    Json permission(l[2]);
    CHECK(field(permission.root, "integrationId").getString() == "");
    CHECK(field(field(Json(l[4]).root, "actor"), "role").getString() == "system");
  }
  SECTION("a damaged log: the trail stops and says so") {
    putEvent(db.dir(), 5, replaceOnce(getEvent(db.dir(), 5), "req-5", "req-X"));
    auto damaged = replay({"--data", db.dir(), "trail", "--account", "acct-1"});
    CHECK(damaged.code == kExitFinding);
    CHECK_THAT(damaged.out, Catch::Contains("INCOMPLETE: the log is damaged at event 5"));
    CHECK_THAT(damaged.err, Catch::Contains("event 5"));
  }
  SECTION("usage") {
    CHECK(replay({"--data", db.dir(), "trail"}).code == kExitUsage);
    CHECK(replay({"--data", db.dir(), "trail", "--account", "a", "--format", "csv"}).code ==
          kExitUsage);
  }
}

TEST_CASE("rebuild replaces stored views on a stopped database only", "[pit-replay][rebuild]") {
  HistoryDb db;
  auto view = getView(db.dir(), Family::integrations, db.a);
  putView(db.dir(), Family::integrations, db.a, replaceOnce(*view, "CRM sync v2", "CRM sync v3"));
  REQUIRE(verify(db).code == kExitFinding);

  {
    auto engine = db.openEngine(kT0 + 20 * kDay);
    auto refused = replay({"--data", db.dir(), "rebuild"});
    CHECK(refused.code == kExitUsage);
    CHECK_THAT(refused.err, Catch::Contains("in use"));
  }
  // Opening the engine rebuilt nothing (the views version is current), so the damage is still
  // there for rebuild to mend.
  putView(db.dir(), Family::integrations, db.a, replaceOnce(*view, "CRM sync v2", "CRM sync v3"));
  auto run = replay({"--data", db.dir(), "rebuild"});
  INFO(run.out << run.err);
  CHECK(run.code == kExitOk);
  CHECK_THAT(run.out, Catch::Contains("rebuilt the views from 9 events") &&
                          Catch::Contains("differed") && Catch::Contains("name"));
  CHECK(verify(db).code == kExitOk);

  auto again = replay({"--data", db.dir(), "rebuild"});
  CHECK_THAT(again.out, Catch::Contains("already equalled"));

  SECTION("a broken chain: nothing is written") {
    putEvent(db.dir(), 3, replaceOnce(getEvent(db.dir(), 3), "req-3", "req-Z"));
    deleteView(db.dir(), Family::integrations, db.b);
    auto broken = replay({"--data", db.dir(), "rebuild"});
    CHECK(broken.code == kExitFinding);
    CHECK_THAT(broken.out, Catch::Contains("not rebuilt") && Catch::Contains("event 3"));
    CHECK_FALSE(getView(db.dir(), Family::integrations, db.b).has_value());
  }
  SECTION("no database") {
    CHECK(replay({"--data", db.temp().sub("none"), "rebuild"}).code == kExitUsage);
    CHECK_FALSE(std::filesystem::exists(db.temp().sub("none")));
  }
}

TEST_CASE("pit-replay's read-only subcommands write nothing", "[pit-replay]") {
  HistoryDb db;
  auto before = snapshotTree(db.dir());
  CHECK(verify(db).code == kExitOk);
  CHECK(replay({"--data", db.dir(), "checkpoint"}).code == kExitOk);
  CHECK(replay({"--data", db.dir(), "as-of", "--seq", "4"}).code == kExitOk);
  CHECK(replay({"--data", db.dir(), "trail", "--account", "acct-1"}).code == kExitOk);
  CHECK(snapshotTree(db.dir()) == before);
}

TEST_CASE("pit-replay's command line", "[pit-replay]") {
  HistoryDb db;
  CHECK(replay({"verify", "--data", db.dir()}).code == kExitOk);  // --data after the subcommand
  CHECK(replay({"--data=" + db.dir(), "verify"}).code == kExitOk);
  for (Argv bad : {Argv{}, Argv{"--data", db.dir()}, Argv{"--data", db.dir(), "frobnicate"},
                   Argv{"verify"}, Argv{"--data", db.dir(), "verify", "--bogus"},
                   Argv{"--data", db.dir(), "verify", "extra"},
                   Argv{"--data", db.temp().sub("none"), "verify"}}) {
    auto run = replay(bad);
    INFO(run.err);
    CHECK(run.code == kExitUsage);
    CHECK_THAT(run.err, Catch::StartsWith("pit-replay: "));
  }
  auto help = replay({"--help"});
  CHECK(help.code == kExitOk);
  CHECK_THAT(help.out, Catch::Contains("verify") && Catch::Contains("as-of") &&
                           Catch::Contains("trail") && Catch::Contains("Examples:"));
  auto verifyHelp = replay({"verify", "--help"});
  CHECK(verifyHelp.code == kExitOk);
  CHECK_THAT(verifyHelp.out, Catch::Contains("--against") && Catch::Contains("Examples:"));
  CHECK_THAT(replay({"--help", "trail"}).out, Catch::Contains("--integration"));
}

}  // namespace pitlog::tools::testing

namespace pitlog::tools::testing {

// Not run by default (`pitlog_tools_tests "[perf]"`): the tools over a log of some size.
TEST_CASE("verify, as-of and dump over 20000 events", "[.][perf]") {
  pitlog::testing::TempDir temp("pitlog-tools-perf");
  std::atomic<UnixMillis> now{kT0};
  {
    commands::EngineOptions options;
    options.dataDir = temp.sub("db");
    options.sync = false;
    options.clock = [&] { return now.load(); };
    auto engine = commands::Engine::open(std::move(options));
    std::vector<std::string> ids;
    for (int i = 0; i < 20000; ++i) {
      now += 1000;
      commands::Command c;
      c.accountId = "acct-" + std::to_string(i % 50);
      c.actor = {c.accountId, "admin", events::Role::admin};
      if (i % 4 == 0 || ids.empty()) {
        c.action = commands::CreateIntegration{"n" + std::to_string(i), "", {"contacts.readonly"}};
      } else {
        const std::string& id = ids[static_cast<size_t>(i) % ids.size()];
        c.accountId = "acct-" + std::to_string((static_cast<size_t>(i) % ids.size()) * 4 % 50);
        c.actor = {c.accountId, "admin", events::Role::admin};
        commands::EditIntegration edit;
        edit.integrationId = id;
        edit.name = "e" + std::to_string(i);
        c.action = edit;
      }
      auto r = engine->execute(std::move(c));
      if (r.ok() && r.integration && i % 4 == 0) ids.push_back(r.integration->id);
    }
  }
  auto timed = [&](const char* what, Argv args, bool dumpTool = false) {
    auto start = std::chrono::steady_clock::now();
    auto run = dumpTool ? dump(std::move(args)) : replay(std::move(args));
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    WARN(what << ": " << s << " s, status " << run.code << ", " << run.out.size() << " bytes");
    CHECK(run.code == kExitOk);
    return run;
  };
  auto v = timed("verify", {"--data", temp.sub("db"), "verify"});
  WARN(v.out);
  timed("as-of", {"--data", temp.sub("db"), "as-of", "--seq", "10000"});
  timed("trail", {"--data", temp.sub("db"), "trail", "--account", "acct-0"});
  timed("dump json", {"--data", temp.sub("db"), "--format", "json"}, true);
  timed("dump stats", {"--data", temp.sub("db"), "--stats"}, true);
}

}  // namespace pitlog::tools::testing

namespace pitlog::tools::testing {

namespace {

// The log's tree rebuilt in memory from the stored events' hashes, independent of the stored nodes.
events::merkle::MemoryTree treeFromEvents(const HistoryDb& db) {
  events::Store::Options o;
  o.path = db.dir();
  o.mode = events::Store::Mode::readOnly;
  auto store = events::Store::open(o);
  events::merkle::MemoryTree tree;
  events::forEachEvent(*store, 1, 0, [&](uint64_t, std::string_view bytes) {
    std::string error;
    auto event = events::DecodedEvent::decode(bytes, &error);
    REQUIRE(event);
    tree.append(events::merkle::eventLeafHash(event->hash()));
    return true;
  });
  return tree;
}

}  // namespace

TEST_CASE("prove prints the inclusion and consistency proofs of the log's tree",
          "[pit-replay][prove]") {
  HistoryDb db;
  const auto tree = treeFromEvents(db);
  const uint64_t n = tree.size();
  REQUIRE(n >= 9);
  namespace merkle = events::merkle;

  auto inc = replay({"--data", db.dir(), "prove", "--seq", "3", "--tree-size", "7"});
  INFO(inc.err);
  CHECK(inc.code == 0);
  CHECK(inc.out == events::inclusionProofJson(2, 7, merkle::inclusionProof(tree, 2, 7)) + "\n");

  auto whole = replay({"--data", db.dir(), "prove", "--seq", "5"});
  CHECK(whole.out ==
        events::inclusionProofJson(4, n, merkle::inclusionProof(tree, 4, n)) + "\n");

  auto con = replay({"--data", db.dir(), "prove", "--from", "3", "--to", "9"});
  CHECK(con.code == 0);
  CHECK(con.out == events::consistencyProofJson(3, 9, merkle::consistencyProof(tree, 3, 9)) + "\n");

  for (const Argv& bad : {Argv{"--seq", "0"}, Argv{"--seq", std::to_string(n + 1)},
                          Argv{"--seq", "5", "--tree-size", "4"}, Argv{"--from", "9", "--to", "3"},
                          Argv{"--seq", "1", "--from", "1"}, Argv{}}) {
    Argv argv{"--data", db.dir(), "prove"};
    argv.insert(argv.end(), bad.begin(), bad.end());
    auto run = replay(argv);
    INFO(run.err);
    CHECK(run.code == 2);
    CHECK(run.out.empty());
    CHECK_THAT(run.err, Catch::Contains("pit-replay prove: "));
  }
}

}  // namespace pitlog::tools::testing
