#include "tool_fixture.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "events/store.h"
#include "pit_dump.h"
#include "pit_replay.h"

namespace pitlog::tools::testing {

ToolRun dump(Argv args) {
  args.insert(args.begin(), "pit-dump");
  return runTool(runPitDump, std::move(args));
}

ToolRun replay(Argv args) {
  args.insert(args.begin(), "pit-replay");
  return runTool(runPitReplay, std::move(args));
}

UnixMillis at(const char* rfc3339) {
  auto t = events::parseRfc3339(rfc3339);
  REQUIRE(t);
  return *t;
}

const UnixMillis kT0 = *events::parseRfc3339("2026-11-01T10:00:00.000Z");

std::vector<std::string> ToolRun::lines() const {
  std::vector<std::string> out;
  std::istringstream in(this->out);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

ToolRun runTool(int (*tool)(const Argv&, ToolContext&), Argv argv) {
  std::ostringstream out, err;
  ToolContext ctx{.out = out, .err = err};
  ctx.clock = [] { return kT0 + 30 * kDay; };
  ToolRun run;
  run.code = tool(argv, ctx);
  run.out = out.str();
  run.err = err.str();
  return run;
}

namespace {

using commands::Command;
using commands::CommandResult;
using events::Actor;
using events::Role;

CommandResult must(commands::Engine& engine, Command c) {
  auto r = engine.execute(std::move(c));
  INFO(r.message);
  REQUIRE(r.ok());
  return r;
}

Command command(const std::string& account, Actor actor, const std::string& requestId,
                commands::Action action) {
  Command c;
  c.accountId = account;
  c.actor = std::move(actor);
  c.requestId = requestId;
  c.action = std::move(action);
  return c;
}

const Actor kAlice{"acct-1", "alice", Role::admin};
const Actor kCarol{"acct-2", "carol", Role::admin};

}  // namespace

std::string HistoryDb::tokenId(const std::string& token) {
  return events::tokenIdOf(events::sha256(token));
}

std::unique_ptr<commands::Engine> HistoryDb::openEngine(UnixMillis now) {
  now_ = now;
  commands::EngineOptions options;
  options.dataDir = dir();
  options.sync = false;
  options.clock = [this] { return now_.load(); };
  return commands::Engine::open(std::move(options));
}

CommandResult HistoryDb::editA(commands::Engine& engine, const std::string& integrationA,
                               const std::string& name) {
  commands::EditIntegration edit;
  edit.integrationId = integrationA;
  edit.name = name;
  return must(engine, command("acct-1", kAlice, "req-edit", edit));
}

HistoryDb::HistoryDb() : dir_("pitlog-tools") {
  auto engine = openEngine(kT0);
  auto& e = *engine;
  auto created = must(e, command("acct-1", kAlice, "req-1",
                                 commands::CreateIntegration{"CRM sync", "syncs leads",
                                                             {"contacts.readonly"}}));
  a = created.integration->id;
  t1 = *created.token;

  now_ = kT0 + kHour;
  commands::EditIntegration edit;
  edit.integrationId = a;
  edit.name = "CRM sync v2";
  edit.scopes = std::vector<std::string>{"contacts.readonly", "contacts.write"};
  must(e, command("acct-1", kAlice, "req-2", edit));

  now_ = kT0 + 2 * kHour;
  must(e, command("acct-1", kAlice, "req-3", commands::SetPermission{"bob", true}));

  now_ = kT0 + 3 * kHour;
  auto createdB = must(e, command("acct-2", kCarol, "req-4",
                                  commands::CreateIntegration{"Billing", "",
                                                              {"businesses.readonly"}}));
  b = createdB.integration->id;
  tb = *createdB.token;

  now_ = kT0 + kDay;
  t2 = *must(e, command("acct-1", kAlice, "req-5",
                        commands::RotateToken{a, commands::ExpireMode::later}))
            .token;

  now_ = kT0 + 9 * kDay;
  must(e, command("acct-1", Actor::system(), "", commands::ExpireElapsedWindow{a}));

  now_ = kT0 + 10 * kDay;
  t3 = *must(e, command("acct-1", kAlice, "req-7",
                        commands::RotateToken{a, commands::ExpireMode::now}))
            .token;

  now_ = kT0 + 11 * kDay;
  must(e, command("acct-2", kCarol, "req-9", commands::DeleteIntegration{b}));
  REQUIRE(e.lastSeq() == 9);
}

namespace {

std::unique_ptr<events::Store> openForTampering(const std::string& dir) {
  events::Store::Options options;
  options.path = dir;
  options.mode = events::Store::Mode::readWrite;
  return events::Store::open(options);
}

void write(events::Store& store, rocksdb::WriteBatch& batch) {
  auto outcome = store.write(batch, true);
  REQUIRE(outcome.ok);
}

}  // namespace

void putEvent(const std::string& dir, uint64_t seq, const std::string& bytes) {
  putView(dir, events::keys::Family::events, events::keys::eventKey(seq), bytes);
}

std::string getEvent(const std::string& dir, uint64_t seq) {
  auto v = getView(dir, events::keys::Family::events, events::keys::eventKey(seq));
  REQUIRE(v);
  return *v;
}

void deleteEvent(const std::string& dir, uint64_t seq) {
  deleteView(dir, events::keys::Family::events, events::keys::eventKey(seq));
}

void putView(const std::string& dir, events::keys::Family f, const std::string& key,
             const std::string& value) {
  auto store = openForTampering(dir);
  rocksdb::WriteBatch batch;
  batch.Put(store->family(f), key, value);
  write(*store, batch);
}

std::optional<std::string> getView(const std::string& dir, events::keys::Family f,
                                   const std::string& key) {
  auto store = openForTampering(dir);
  return store->get(f, key);
}

void deleteView(const std::string& dir, events::keys::Family f, const std::string& key) {
  auto store = openForTampering(dir);
  rocksdb::WriteBatch batch;
  batch.Delete(store->family(f), key);
  write(*store, batch);
}

std::string replaceOnce(std::string bytes, const std::string& from, const std::string& to) {
  REQUIRE(from.size() == to.size());
  auto pos = bytes.find(from);
  REQUIRE(pos != std::string::npos);
  bytes.replace(pos, from.size(), to);
  return bytes;
}

std::map<std::string, std::string> snapshotTree(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    std::string name = std::filesystem::relative(entry.path(), dir).string();
    if (!entry.is_regular_file()) {
      out[name] = "(directory)";
      continue;
    }
    std::ifstream in(entry.path(), std::ios::binary);
    out[name] = std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  return out;
}

SyncStream::SyncStream() : std::ostream(&buf_) {}
std::string SyncStream::str() const { return buf_.snapshot(); }

std::string SyncStream::Buf::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return data_;
}

int SyncStream::Buf::overflow(int c) {
  if (c == traits_type::eof()) return traits_type::not_eof(c);
  std::lock_guard<std::mutex> lock(mu_);
  data_.push_back(static_cast<char>(c));
  return c;
}

std::streamsize SyncStream::Buf::xsputn(const char* s, std::streamsize n) {
  std::lock_guard<std::mutex> lock(mu_);
  data_.append(s, static_cast<size_t>(n));
  return n;
}

}  // namespace pitlog::tools::testing
