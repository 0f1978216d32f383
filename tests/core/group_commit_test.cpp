// Group commit: many threads submitting at once are all acknowledged, the log stays gap-free,
// the writer commits several commands in one batch, and a rejected command in a batch leaves
// the others alone.
#include <catch2/catch.hpp>

#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "core_support.h"
#include "support/temp_dir.h"

using namespace pitlog;
using namespace pitlog::coretest;
using commands::Code;
using pitlog::testing::TempDir;
using pitlog::testing::treeContains;

TEST_CASE("group commit: concurrent submitters share batches, all acknowledged, gap-free",
          "[group_commit]") {
  TempDir dir("pitlog-core-group");
  FakeClock clock;
  std::mutex mu;
  std::vector<commands::BatchStats> batches;
  // The first batch holds the writer until every thread has queued its commands, so the
  // following batches must carry many commands each (deterministic, whatever the disk speed).
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();

  auto options = engineOptions(dir.sub("data"), clock, 10'000, /*sync=*/true);
  options.maxBatch = 64;
  options.onBatch = [&](const commands::BatchStats& stats) {
    bool first;
    {
      std::lock_guard lock(mu);
      first = batches.empty();
      batches.push_back(stats);
    }
    if (first) gate.wait();
  };
  auto engine = commands::Engine::open(options);

  // The first command: its batch blocks the writer.
  std::promise<commands::CommandResult> firstDone;
  engine->submit(command("acct-0", adminActor("acct-0"), createAction("first")),
                 [&](commands::CommandResult r) { firstDone.set_value(std::move(r)); });

  const int kThreads = 8, kPerThread = 40;
  std::mutex resultsMu;
  std::condition_variable resultsCv;
  std::vector<commands::CommandResult> results;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string account = "acct-" + std::to_string(t % 3);
      for (int i = 0; i < kPerThread; ++i) {
        commands::Action action;
        if (i % 10 == 9) {
          action = commands::DeleteIntegration{"int_missing"};  // rejected: 404
        } else if (i % 10 == 4) {
          action = commands::SetPermission{"user" + std::to_string(t), i % 20 == 4};
        } else {
          action = createAction("t" + std::to_string(t) + "-" + std::to_string(i));
        }
        engine->submit(command(account, adminActor(account), std::move(action)),
                       [&](commands::CommandResult r) {
                         std::lock_guard lock(resultsMu);
                         results.push_back(std::move(r));
                         resultsCv.notify_all();
                       });
      }
    });
  }
  for (auto& th : threads) th.join();
  release.set_value();
  {
    std::unique_lock lock(resultsMu);
    REQUIRE(resultsCv.wait_for(lock, std::chrono::seconds(120),
                               [&] { return results.size() == size_t(kThreads * kPerThread); }));
  }
  auto first = firstDone.get_future().get();
  REQUIRE(first.ok());

  size_t ok = 0, notFound = 0;
  std::set<uint64_t> seqs{first.lastSeq};
  std::vector<std::string> tokens{*first.token};
  for (const auto& r : results) {
    if (r.ok()) {
      ++ok;
      CHECK(seqs.insert(r.lastSeq).second);  // every acknowledged event has its own sequence
      CHECK(r.firstSeq == r.lastSeq);
      if (r.token) tokens.push_back(*r.token);
    } else {
      CHECK(r.code == Code::notFound);
      ++notFound;
    }
  }
  CHECK(notFound == size_t(kThreads * kPerThread / 10));
  CHECK(ok == size_t(kThreads * kPerThread) - notFound);

  // Gap-free: sequences 1..N, exactly the acknowledged ones.
  const uint64_t n = engine->lastSeq();
  CHECK(n == ok + 1);
  CHECK(*seqs.begin() == 1);
  CHECK(*seqs.rbegin() == n);
  auto events = allEvents(engine->store());
  REQUIRE(events.size() == n);
  for (uint64_t i = 0; i < n; ++i) CHECK(events[i].reader().getSeq() == i + 1);

  // Batches: they account for every command, and several carried more than one.
  size_t commandsInBatches = 0, eventsInBatches = 0, multi = 0, largest = 0;
  {
    std::lock_guard lock(mu);
    for (const auto& b : batches) {
      CHECK(b.ok);
      commandsInBatches += b.commands;
      eventsInBatches += b.events;
      if (b.commands > 1) ++multi;
      largest = std::max(largest, b.commands);
      CHECK(b.commands <= 64);
    }
  }
  CHECK(commandsInBatches == size_t(kThreads * kPerThread) + 1);
  CHECK(eventsInBatches == n);
  CHECK(multi >= 1);
  CHECK(largest > 1);
  INFO("batches " << batches.size() << ", largest " << largest);
  CHECK(batches.size() < size_t(kThreads * kPerThread) / 2);

  for (const auto& t : tokens) REQUIRE(engine->verify(t).active);
  CHECK(engine->tokenCount() == tokens.size());
  CHECK_FALSE(storeProblem(engine->store()));
  engine.reset();
  TreeSnapshot files(dir.path());
  REQUIRE(files.files() > 0);
  for (const auto& t : tokens) {
    INFO("token " << hintOf(t));
    CHECK_FALSE(files.contains(t));
  }
  // The scan can see what is stored: the digests are (in the token and integration views).
  CHECK(treeContains(dir.path(),
                     std::string(ev::Sha256::asView(ev::sha256(tokens[0])).substr(16))));
}

TEST_CASE("group commit: commands in one batch see each other's effects", "[group_commit]") {
  TempDir dir("pitlog-core-group");
  FakeClock clock;
  // Batch #1 (a permission change) signals that the writer is inside it and waits there; the
  // commands queued meanwhile are then decided together in batch #2.
  std::promise<void> entered, release;
  std::shared_future<void> gate = release.get_future().share();
  std::mutex mu;
  std::vector<size_t> sizes;
  auto options = engineOptions(dir.sub("data"), clock, 10'000);
  options.onBatch = [&](const commands::BatchStats& stats) {
    size_t index;
    {
      std::lock_guard lock(mu);
      index = sizes.size();
      sizes.push_back(stats.commands);
    }
    if (index == 1) {
      entered.set_value();
      gate.wait();
    }
  };
  auto engine = commands::Engine::open(options);
  auto created = engine->execute(command("acct", adminActor("acct"), createAction()));
  REQUIRE(created.ok());
  const auto id = created.integration->id;

  std::atomic<bool> barrierOk{false};
  engine->submit(command("acct", adminActor("acct"), commands::SetPermission{"bob", true}),
                 [&](commands::CommandResult r) { barrierOk = r.ok(); });
  entered.get_future().wait();

  std::vector<std::future<commands::CommandResult>> futures;
  auto submit = [&](commands::Action a, std::optional<commands::IfMatch> ifMatch = std::nullopt) {
    auto p = std::make_shared<std::promise<commands::CommandResult>>();
    futures.push_back(p->get_future());
    auto c = command("acct", adminActor("acct"), std::move(a));
    c.ifMatch = ifMatch;
    engine->submit(std::move(c), [p](commands::CommandResult r) { p->set_value(std::move(r)); });
  };
  submit(commands::RotateToken{id, commands::ExpireMode::later},
         commands::IfMatch{false, {1}});                                // ok -> v2
  submit(commands::RotateToken{id, commands::ExpireMode::later});       // 409: pending now
  submit(commands::CancelRotation{id}, commands::IfMatch{false, {1}});  // 412: v2 now
  submit(commands::CancelRotation{id}, commands::IfMatch{false, {2}});  // ok -> v3
  submit(commands::DeleteIntegration{id});                              // ok -> v4
  submit(commands::DeleteIntegration{id});                              // 404
  release.set_value();
  std::vector<commands::CommandResult> r;
  for (auto& f : futures) r.push_back(f.get());
  {
    std::lock_guard lock(mu);
    REQUIRE(sizes.size() == 3);
    CHECK(sizes[2] == 6);
  }
  CHECK(r[0].code == Code::ok);
  CHECK(r[0].version == 2);
  CHECK(r[1].code == Code::conflict);
  CHECK(r[2].code == Code::versionMismatch);
  CHECK(r[3].code == Code::ok);
  CHECK(r[3].version == 3);
  CHECK(r[4].code == Code::ok);
  CHECK(r[4].version == 4);
  CHECK(r[5].code == Code::notFound);
  CHECK(r[0].lastSeq == 3);
  CHECK(r[3].lastSeq == 4);
  CHECK(r[4].lastSeq == 5);
  REQUIRE(r[0].token);
  CHECK_FALSE(engine->verify(*created.token).active);
  CHECK_FALSE(engine->verify(*r[0].token).active);
  CHECK(barrierOk);
  CHECK(engine->lastSeq() == 5);
  CHECK_FALSE(storeProblem(engine->store()));
}

TEST_CASE("group commit: many threads using execute() concurrently", "[group_commit]") {
  TempDir dir("pitlog-core-group");
  FakeClock clock;
  std::atomic<size_t> multi{0};
  auto options = engineOptions(dir.sub("data"), clock, 10'000, /*sync=*/true);
  options.onBatch = [&](const commands::BatchStats& s) {
    if (s.commands > 1) ++multi;
  };
  auto engine = commands::Engine::open(options);
  const int kThreads = 6, kPerThread = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string account = "acct-" + std::to_string(t);
      std::string id;
      for (int i = 0; i < kPerThread; ++i) {
        commands::CommandResult r;
        if (id.empty()) {
          r = engine->execute(command(account, adminActor(account), createAction()));
          if (r.ok()) id = r.integration->id;
        } else {
          commands::EditIntegration edit;
          edit.integrationId = id;
          edit.name = "n" + std::to_string(i);
          r = engine->execute(command(account, adminActor(account), edit));
          if (r.ok() && r.version != uint32_t(i + 1)) ++failures;
        }
        if (!r.ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  CHECK(engine->lastSeq() == uint64_t(kThreads * kPerThread));
  auto events = allEvents(engine->store());
  REQUIRE(events.size() == size_t(kThreads * kPerThread));
  for (size_t i = 0; i < events.size(); ++i) CHECK(events[i].reader().getSeq() == i + 1);
  CHECK_FALSE(storeProblem(engine->store()));
  // Not asserted: with blocking callers, batching depends on timing.
  INFO("batches with more than one command: " << multi.load());
  SUCCEED();
}
