// pit-dump, run in-process against databases written by the real engine.
#include <capnp/compat/json.h>
#include <capnp/message.h>

#include <catch2/catch.hpp>

#include <thread>

#include "events/keys.h"
#include "pit_dump.h"
#include "tool_fixture.h"

namespace pitlog::tools::testing {
namespace {

using Seqs = std::vector<uint64_t>;

// The sequence at the start of each text line.
Seqs textSeqs(const ToolRun& run) {
  Seqs out;
  for (const auto& line : run.lines()) out.push_back(std::stoull(line));
  return out;
}

// One parsed JSON line: its top-level fields, for checks on names and kinds.
struct JsonLine {
  capnp::MallocMessageBuilder message;
  capnp::JsonValue::Reader root;
  explicit JsonLine(const std::string& text) {
    capnp::JsonCodec codec;
    auto builder = message.initRoot<capnp::JsonValue>();
    codec.decodeRaw(kj::ArrayPtr<const char>(text.data(), text.size()), builder);
    root = builder.asReader();
  }
  capnp::JsonValue::Reader get(const char* name) const {
    REQUIRE(root.isObject());
    for (auto f : root.getObject()) {
      if (f.getName() == name) return f.getValue();
    }
    FAIL("no field " << name);
    return {};
  }
  std::string text(const char* name) const { return get(name).getString().cStr(); }
  std::string textIn(const char* object, const char* name) const {
    for (auto f : get(object).getObject()) {
      if (f.getName() == name) return f.getValue().getString().cStr();
    }
    return "(absent)";
  }
  bool hasIn(const char* object, const char* name) const {
    for (auto f : get(object).getObject()) {
      if (f.getName() == name) return true;
    }
    return false;
  }
};

Seqs jsonSeqs(const ToolRun& run) {
  Seqs out;
  for (const auto& line : run.lines()) {
    JsonLine j(line);
    REQUIRE(j.get("seq").isNumber());
    out.push_back(static_cast<uint64_t>(j.get("seq").getNumber()));
  }
  return out;
}

}  // namespace

TEST_CASE("pit-dump prints every event, one line each, in order", "[pit-dump]") {
  HistoryDb db;
  auto run = dump({"--data", db.dir()});
  INFO(run.err);
  REQUIRE(run.code == kExitOk);
  CHECK(textSeqs(run) == Seqs{1, 2, 3, 4, 5, 6, 7, 8, 9});
  auto lines = run.lines();
  CHECK_THAT(lines[0], Catch::Contains("2026-11-01T10:00:00.000Z") &&
                           Catch::Contains("Created") && Catch::Contains(db.a) &&
                           Catch::Contains("acct-1/alice:admin") &&
                           Catch::Contains("name=\"CRM sync\"") &&
                           Catch::Contains("token=" + HistoryDb::tokenId(db.t1)) &&
                           Catch::Contains("req=req-1"));
  CHECK_THAT(lines[5], Catch::Contains("Expired") && Catch::Contains("system") &&
                           Catch::Contains("reason=window_elapsed"));
  CHECK_THAT(lines[2], Catch::Contains("PermissionChanged") && Catch::Contains("user=bob allowed=true"));
  // Never a token.
  for (const auto& token : {db.t1, db.t2, db.t3, db.tb}) {
    CHECK(run.out.find(token) == std::string::npos);
  }
}

TEST_CASE("pit-dump --format json prints API.md's event shape", "[pit-dump]") {
  HistoryDb db;
  auto run = dump({"--data", db.dir(), "--format", "json"});
  INFO(run.err);
  REQUIRE(run.code == kExitOk);
  REQUIRE(jsonSeqs(run) == Seqs{1, 2, 3, 4, 5, 6, 7, 8, 9});
  auto lines = run.lines();

  JsonLine created(lines[0]);
  std::vector<std::string> names;
  for (auto f : created.root.getObject()) names.emplace_back(f.getName().cStr());
  CHECK(names == std::vector<std::string>{"seq", "streamId", "streamVersion", "eventId", "at",
                                          "actor", "requestId", "type", "data", "prevHash",
                                          "hash"});
  CHECK(created.text("streamId") == db.a);
  CHECK(created.get("streamVersion").getNumber() == 1);
  CHECK(created.text("eventId").size() == 32);
  CHECK(created.text("at") == "2026-11-01T10:00:00.000Z");
  CHECK(created.textIn("actor", "accountId") == "acct-1");
  CHECK(created.textIn("actor", "role") == "admin");
  CHECK(created.text("requestId") == "req-1");
  CHECK(created.text("type") == "Created");
  CHECK(created.textIn("data", "tokenId") == HistoryDb::tokenId(db.t1));
  CHECK(created.textIn("data", "name") == "CRM sync");
  CHECK(created.text("prevHash") == std::string(64, '0'));

  // The chain in JSON: each prevHash is the hash before it.
  for (size_t i = 1; i < lines.size(); ++i) {
    CHECK(JsonLine(lines[i]).text("prevHash") == JsonLine(lines[i - 1]).text("hash"));
  }

  JsonLine expired(lines[5]);
  CHECK(expired.text("type") == "Expired");
  CHECK_FALSE(expired.hasIn("actor", "accountId"));
  CHECK(expired.textIn("actor", "userId") == "system");
  CHECK(expired.textIn("actor", "role") == "system");
  CHECK(expired.textIn("data", "reason") == "window_elapsed");
  CHECK(expired.textIn("data", "tokenId") == HistoryDb::tokenId(db.t1));

  JsonLine rotated(lines[4]);
  CHECK(rotated.textIn("data", "previousExpiresAt") == "2026-11-09T10:00:00.000Z");
  CHECK(rotated.textIn("data", "tokenId") == HistoryDb::tokenId(db.t2));
  CHECK(rotated.textIn("data", "previousTokenId") == HistoryDb::tokenId(db.t1));
  CHECK(JsonLine(lines[7]).textIn("data", "reason") == "rotated_now");
  CHECK(JsonLine(lines[8]).text("type") == "Deleted");

  for (const auto& token : {db.t1, db.t2, db.t3, db.tb}) {
    CHECK(run.out.find(token) == std::string::npos);
    CHECK(run.out.find(events::toHex(events::sha256(token))) == std::string::npos);
  }
}

TEST_CASE("pit-dump filters, alone and combined", "[pit-dump]") {
  HistoryDb db;
  auto seqs = [&](Argv args) {
    Argv full{"--data", db.dir()};
    full.insert(full.end(), args.begin(), args.end());
    auto run = dump(full);
    INFO(run.err);
    REQUIRE(run.code == kExitOk);
    return textSeqs(run);
  };
  CHECK(seqs({"--from", "3", "--to", "5"}) == Seqs{3, 4, 5});
  CHECK(seqs({"--from", "8"}) == Seqs{8, 9});
  CHECK(seqs({"--to", "2"}) == Seqs{1, 2});
  CHECK(seqs({"--stream", db.a}) == Seqs{1, 2, 5, 6, 7, 8});
  CHECK(seqs({"--stream", db.a, "--from", "3", "--to", "7"}) == Seqs{5, 6, 7});
  CHECK(seqs({"--stream", "perm/acct-1/bob"}) == Seqs{3});
  CHECK(seqs({"--stream", "no-such-stream"}).empty());
  CHECK(seqs({"--account", "acct-2"}) == Seqs{4, 9});
  CHECK(seqs({"--account", "acct-1"}) == Seqs{1, 2, 3, 5, 6, 7, 8});
  CHECK(seqs({"--type", "Expired"}) == Seqs{6, 8});
  CHECK(seqs({"--type", "Created", "--type", "Deleted"}) == Seqs{1, 4, 9});
  CHECK(seqs({"--type", "Created,Deleted"}) == Seqs{1, 4, 9});
  CHECK(seqs({"--since", "2026-11-02T10:00:00.000Z", "--until", "2026-11-11T10:00:00Z"}) ==
        Seqs{5, 6, 7, 8});
  CHECK(seqs({"--since", "2026-11-02T10:00:00.001Z"}) == Seqs{6, 7, 8, 9});
  CHECK(seqs({"--until", "2026-11-01T11:00:00+01:00"}) == Seqs{1});
  CHECK(seqs({"--limit", "2"}) == Seqs{1, 2});
  CHECK(seqs({"--account", "acct-1", "--type", "RotationStarted", "--limit", "1"}) == Seqs{5});
  CHECK(seqs({"--account", "acct-1", "--type", "Expired", "--since", "2026-11-11T00:00:00Z"}) ==
        Seqs{8});
  CHECK(seqs({"--stream", db.b, "--account", "acct-1"}).empty());

  // The same filters in JSON.
  auto run = dump({"--data", db.dir(), "--format", "json", "--account", "acct-2"});
  REQUIRE(run.code == kExitOk);
  CHECK(jsonSeqs(run) == Seqs{4, 9});
}

TEST_CASE("pit-dump rejects bad usage with status 2", "[pit-dump]") {
  HistoryDb db;
  const std::vector<Argv> bad = {
      {},
      {"--data", db.dir(), "--type", "Bogus"},
      {"--data", db.dir(), "--since", "yesterday"},
      {"--data", db.dir(), "--from", "0"},
      {"--data", db.dir(), "--from", "-3"},
      {"--data", db.dir(), "--from", "5", "--to", "4"},
      {"--data", db.dir(), "--limit", "ten"},
      {"--data", db.dir(), "--format", "xml"},
      {"--data", db.dir(), "--follow", "--stats"},
      {"--data", db.dir(), "--no-such-option"},
      {"--data", db.dir(), "stray"},
      {"--data", db.temp().sub("missing")},
  };
  for (const auto& args : bad) {
    auto run = dump(args);
    INFO(run.err);
    CHECK(run.code == kExitUsage);
    CHECK(run.out.empty());
    CHECK_THAT(run.err, Catch::StartsWith("pit-dump: "));
  }
  auto help = dump({"--help"});
  CHECK(help.code == kExitOk);
  CHECK_THAT(help.out, Catch::Contains("--follow") && Catch::Contains("Examples:") &&
                           Catch::Contains("Exit status"));
}

TEST_CASE("pit-dump reports a damaged event with its sequence and goes on", "[pit-dump]") {
  HistoryDb db;
  putEvent(db.dir(), 4, "not an event");  // 12 bytes: not even whole words
  auto damaged = getEvent(db.dir(), 6);
  damaged[0] = '\xff';  // the segment header: no longer a canonical message
  putEvent(db.dir(), 6, damaged);
  deleteEvent(db.dir(), 2);

  auto run = dump({"--data", db.dir()});
  CHECK(run.code == kExitFinding);
  auto lines = run.lines();
  REQUIRE(lines.size() == 9);
  CHECK_THAT(lines[1], Catch::Contains("2") && Catch::Contains("DAMAGED") &&
                           Catch::Contains("missing"));
  CHECK_THAT(lines[3], Catch::Contains("DAMAGED"));
  CHECK_THAT(lines[5], Catch::Contains("DAMAGED"));
  CHECK_THAT(lines[8], Catch::Contains("Deleted"));
  CHECK_THAT(run.err, Catch::Contains("event 2 is damaged") && Catch::Contains("event 4 is damaged") &&
                          Catch::Contains("event 6 is damaged"));

  // In JSON the output stays one parseable event per line; the report goes to stderr.
  auto json = dump({"--data", db.dir(), "--format", "json"});
  CHECK(json.code == kExitFinding);
  CHECK(jsonSeqs(json) == Seqs{1, 3, 5, 7, 8, 9});
  CHECK_THAT(json.err, Catch::Contains("event 4 is damaged"));
}

TEST_CASE("pit-dump --stats counts what the filters select", "[pit-dump]") {
  HistoryDb db;
  auto run = dump({"--data", db.dir(), "--stats"});
  INFO(run.err);
  REQUIRE(run.code == kExitOk);
  // "  name    value" lines; the first one with that name.
  auto stat = [&](const std::string& name) -> std::string {
    for (const auto& line : run.lines()) {
      if (line.rfind("  " + name + " ", 0) == 0) return line.substr(line.find_last_of(' ') + 1);
    }
    return "(absent)";
  };
  CHECK(stat("matched") == "9");
  CHECK(stat("damaged") == "0");
  CHECK(stat("Created") == "2");
  CHECK(stat("Expired") == "2");
  CHECK(stat("RotationCancelled") == "0");
  CHECK(stat("acct-1") == "7");
  CHECK(stat("acct-2") == "2");
  CHECK(stat("first at") == "2026-11-01T10:00:00.000Z");
  CHECK(stat("last at") == "2026-11-12T10:00:00.000Z");
  CHECK(stat("seq") == "9");
  CHECK(stat("hash").size() == 64);
  CHECK(stat("events") != "(absent)");  // the events column family's size
  CHECK(run.out.find("acct-1") < run.out.find("acct-2"));  // most events first

  auto json = dump({"--data", db.dir(), "--stats", "--format", "json", "--account", "acct-2"});
  INFO(json.err);
  REQUIRE(json.code == kExitOk);
  REQUIRE(json.lines().size() == 1);
  JsonLine stats(json.lines()[0]);
  CHECK(stats.get("matched").getNumber() == 2);
  CHECK(stats.get("firstSeq").getNumber() == 4);
  CHECK(stats.get("lastAt").getString() == "2026-11-12T10:00:00.000Z");
  CHECK(stats.get("byType").getArray().size() == 9);  // every event type, the webhook ones too
  CHECK(stats.get("chainHead").getObject()[0].getValue().getNumber() == 9);
}

TEST_CASE("pit-dump never writes to a stopped database", "[pit-dump]") {
  HistoryDb db;
  auto before = snapshotTree(db.dir());
  CHECK(dump({"--data", db.dir()}).code == kExitOk);
  CHECK(dump({"--data", db.dir(), "--format", "json", "--stream", db.a}).code == kExitOk);
  CHECK(dump({"--data", db.dir(), "--stats"}).code == kExitOk);
  CHECK(snapshotTree(db.dir()) == before);
}

TEST_CASE("pit-dump reads a database an engine holds in this process, as a secondary",
          "[pit-dump][live]") {
  HistoryDb db;
  auto engine = db.openEngine(kT0 + 20 * kDay);
  auto run = dump({"--data", db.dir(), "--format", "json"});
  INFO(run.err);
  REQUIRE(run.code == kExitOk);
  CHECK(jsonSeqs(run).size() == 9);

  // Writes made after the engine opened (still in its memtable and WAL) are seen too.
  HistoryDb::editA(*engine, db.a, "renamed live");
  auto after = dump({"--data", db.dir(), "--from", "10"});
  REQUIRE(after.code == kExitOk);
  REQUIRE(after.lines().size() == 1);
  CHECK_THAT(after.out, Catch::Contains("renamed live"));

  // While the engine is idle, reading as a secondary changes no file of the database.
  auto before = snapshotTree(db.dir());
  CHECK(dump({"--data", db.dir(), "--stats"}).code == kExitOk);
  CHECK(replay({"--data", db.dir(), "verify"}).code == kExitOk);
  CHECK(snapshotTree(db.dir()) == before);
}

TEST_CASE("pit-dump --follow prints new events until stopped", "[pit-dump][live]") {
  HistoryDb db;
  auto engine = db.openEngine(kT0 + 20 * kDay);

  SyncStream out;
  std::ostringstream err;
  std::atomic<bool> stop{false};
  int code = -1;
  std::thread follower([&] {
    std::ostringstream unusedErr;
    ToolContext ctx{.out = out, .err = unusedErr};
    ctx.stop = &stop;
    ctx.pollInterval = std::chrono::milliseconds(20);
    code = runPitDump({"pit-dump", "--data", db.dir(), "--follow", "--format", "json",
                       "--account", "acct-1"},
                      ctx);
  });
  auto waitForLines = [&](size_t n) {
    for (int i = 0; i < 500; ++i) {
      std::istringstream in(out.str());
      size_t count = 0;
      for (std::string line; std::getline(in, line);) count++;
      if (count >= n) return count;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return size_t{0};
  };
  CHECK(waitForLines(7) == 7);  // acct-1's events so far
  HistoryDb::editA(*engine, db.a, "first live edit");
  HistoryDb::editA(*engine, db.a, "second live edit");
  CHECK(waitForLines(9) == 9);
  stop = true;
  follower.join();
  CHECK(code == kExitOk);
  CHECK_THAT(out.str(), Catch::Contains("first live edit") && Catch::Contains("second live edit"));
}

TEST_CASE("pit-dump --follow outlives a restart of the server", "[pit-dump][live]") {
  HistoryDb db;
  SyncStream out;
  std::ostringstream err;
  std::atomic<bool> stop{false};
  int code = -1;
  auto engine = db.openEngine(kT0 + 20 * kDay);
  std::thread follower([&] {
    ToolContext ctx{.out = out, .err = err};
    ctx.stop = &stop;
    ctx.pollInterval = std::chrono::milliseconds(20);
    code = runPitDump({"pit-dump", "--data", db.dir(), "--follow"}, ctx);
  });
  auto waitFor = [&](const std::string& text) {
    for (int i = 0; i < 500; ++i) {
      if (out.str().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  };
  HistoryDb::editA(*engine, db.a, "before the restart");
  CHECK(waitFor("before the restart"));
  engine.reset();  // the server stops ...
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  engine = db.openEngine(kT0 + 21 * kDay);  // ... and starts again
  HistoryDb::editA(*engine, db.a, "after the restart");
  CHECK(waitFor("after the restart"));
  stop = true;
  follower.join();
  CHECK(code == kExitOk);
  std::istringstream in(out.str());
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  CHECK(lines.size() == 11);  // each event once
}

}  // namespace pitlog::tools::testing

namespace pitlog::tools::testing {

TEST_CASE("pit-dump shows a revocation's reason, source and actor, and pit-replay verify and "
          "trail take it like any other event",
          "[pit-dump]") {
  HistoryDb db;
  {
    auto engine = db.openEngine(kT0 + 20 * kDay);
    commands::Command c;
    c.actor = commands::revocationActor();
    c.action = commands::RevokeTokens{{events::sha256(db.t3)}, "a \"paste\"\u202e"};
    REQUIRE(engine->execute(c).ok());
  }
  auto run = dump({"--data", db.dir(), "--type", "Expired"});
  INFO(run.err);
  REQUIRE(run.code == kExitOk);
  const auto lines = run.lines();
  REQUIRE_FALSE(lines.empty());
  CHECK_THAT(lines.back(), Catch::Contains("revocation:system") &&
                               Catch::Contains("token=" + HistoryDb::tokenId(db.t3)) &&
                               Catch::Contains("reason=revoked") &&
                               Catch::Contains("source=\"a \\\"paste\\\"\\u202e\""));
  CHECK(run.out.find(db.t3) == std::string::npos);
  auto json = dump({"--data", db.dir(), "--type", "Expired", "--format", "json"});
  CHECK_THAT(json.lines().back(), Catch::Contains(R"("reason":"revoked")") &&
                                      Catch::Contains(R"("userId":"revocation")"));
  auto verify = replay({"--data", db.dir(), "verify"});
  INFO(verify.out << verify.err);
  CHECK(verify.code == kExitOk);
  auto trail = replay({"--data", db.dir(), "trail", "--account", "acct-1"});
  CHECK_THAT(trail.out, Catch::Contains("revoked by value"));
}

}  // namespace pitlog::tools::testing
