// The crash campaign (issue #5, campaign 1): concurrent clients issue mixed commands over HTTP
// while pitd is killed with SIGKILL at a random moment, then restarted on the same data dir; after
// every kill the log must hold every acknowledged command once, nothing else, and verify; after
// every restart every token issued must introspect as the campaign's own model predicts.
// Prints one line per cycle, then `FIGURES {json}` last; exits 1 on any failure.
#include <signal.h>

#include <boost/program_options.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <random>
#include <set>
#include <thread>

#include "../common/campaign_api.h"
#include "../common/figures.h"
#include "event_log.h"
#include "leak_scan.h"
#include "model.h"
#include "support/http_client.h"
#include "support/pitd_process.h"
#include "support/temp_dir.h"
#include "token_sweep.h"
#include "tool_runner.h"
#include "worker.h"

#if !defined(PIT_DUMP_PATH) || !defined(PIT_REPLAY_PATH)
#error "PIT_DUMP_PATH and PIT_REPLAY_PATH must name the tools"
#endif

namespace pitlog::campaigns::crash {
namespace {

namespace po = boost::program_options;

struct Options {
  int cycles = 20;
  int workers = 8;
  int windowSeconds = 3;
  int minLoadMs = 150;
  int maxLoadMs = 900;
  size_t sweepSample = 300;  // older tokens introspected per cycle, besides the recent ones
  uint64_t seed = 0;
};

// The margin around a deadline within which an answer may go either way: the server reads its
// clock somewhere inside the request's span, and its times have millisecond resolution.
constexpr Millis kMarginMs = 100;

class Campaign {
 public:
  explicit Campaign(const Options& o) : o_(o), model_(o.windowSeconds * 1000LL, kMarginMs) {
    std::mt19937_64 seeds(o.seed);
    const char* accounts[] = {"crash-a", "crash-b", "crash-c"};
    for (int i = 0; i < o.workers; ++i) {
      workers_.push_back(std::make_unique<Worker>(i, accounts[i % 3], model_, seeds()));
    }
    rng_.seed(seeds());
  }

  int run() {
    const auto started = std::chrono::steady_clock::now();
    try {
      start();
      for (int cycle = 1; cycle <= o_.cycles && !failed(); ++cycle) runCycle(cycle);
      if (!failed()) finish();
    } catch (const std::exception& e) {
      problems_.push_back(std::string("campaign aborted: ") + testing::redacted(e.what()));
    }
    seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    for (const auto& w : workers_) {
      for (const auto& p : w->problems()) problems_.push_back(p);
    }
    for (size_t i = 0; i < problems_.size() && i < 40; ++i) std::cerr << "FAIL " << problems_[i] << "\n";
    bool written = figures().publish();
    return problems_.empty() && written ? 0 : 1;
  }

 private:
  std::vector<std::string> pitdArgs() const {
    return {"--data", data_.str(), "--http", "127.0.0.1:0", "--rpc", "off", "--rotation-window",
            std::to_string(o_.windowSeconds) + "s"};
  }

  void start() {
    pitd_.reset();
    pitd_ = std::make_unique<testing::PitdProcess>(logFile(), pitdArgs());
    if (key_.empty()) key_ = readServiceKey(data_.str());
  }

  std::string logFile() const { return logs_.sub("pitd.log"); }

  void runCycle(int cycle) {
    const int loadMs = std::uniform_int_distribution<int>(o_.minLoadMs, o_.maxLoadMs)(rng_);
    std::atomic<bool> killed{false};
    std::vector<std::thread> threads;
    for (auto& w : workers_) {
      threads.emplace_back([&, w = w.get()]() {
        w->runCycle(cycle, pitd_->port(), key_, killed);
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(loadMs));
    killed = true;
    pitd_->signal(SIGKILL);
    const int status = pitd_->wait();
    for (auto& t : threads) t.join();
    if (status != 128 + SIGKILL) problems_.push_back("pitd ended with " + std::to_string(status) + " before the kill");

    auto lap = std::chrono::steady_clock::now();
    auto msSince = [&lap]() {
      auto now = std::chrono::steady_clock::now();
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - lap).count();
      lap = now;
      return ms;
    };
    checkLog(cycle);
    verify("after the kill of cycle " + std::to_string(cycle));
    const auto checkMs = msSince();
    start();
    const auto restartMs = msSince();
    sweep(cycle, false);
    const auto sweepMs = msSince();
    Tally t = totals();
    std::cout << "cycle " << cycle << "/" << o_.cycles << ": load " << loadMs << " ms, log+verify "
              << checkMs << " ms, restart " << restartMs << " ms, sweep " << sweepMs << " ms; sent "
              << t.commandsSent << ", acknowledged " << t.acknowledged << ", cut: committed "
              << t.uncertainCommitted << " absent " << t.uncertainAbsent << ", tokens "
              << model_.tokenCount() << ", events " << log_.all().size() << std::endl;
  }

  // Reads what the cycle appended and hands each request its events.
  void checkLog(int cycle) {
    std::vector<std::string> logProblems;
    std::vector<LoggedEvent> fresh = log_.readNew(&logProblems);
    for (auto& p : logProblems) problems_.push_back(p);
    std::set<std::string> ours;
    for (const auto& w : workers_) {
      for (const auto& r : w->requests()) ours.insert(r.requestId);
    }
    std::map<std::string, std::vector<const LoggedEvent*>> byRequest;
    for (const auto& e : fresh) {
      if (e.actorRole == "system") {
        if (e.type != "Expired" || e.reason != "window_elapsed") {
          problems_.push_back("system wrote " + e.type + " at seq " + std::to_string(e.seq));
        }
        continue;
      }
      if (!ours.count(e.requestId)) {
        problems_.push_back("event seq " + std::to_string(e.seq) + " carries request id '" +
                            e.requestId + "', not one sent in cycle " + std::to_string(cycle));
      }
      byRequest[e.requestId].push_back(&e);
    }
    for (auto& w : workers_) w->settle(byRequest);
  }

  void verify(const std::string& when) {
    std::string out;
    int status = runTool({PIT_REPLAY_PATH, "--data", data_.str(), "verify"}, &out);
    if (status != 0) {
      ++verifyFailures_;
      problems_.push_back("pit-replay verify " + when + " exited " + std::to_string(status) +
                          ": " + testing::redacted(out.substr(0, 2000)));
    }
  }

  // Every token issued in this cycle or the last, and a sample of the older ones; all of them
  // at the end.
  void sweep(int cycle, bool all) {
    std::vector<ModelToken> chosen, older;
    for (auto& t : model_.knownTokens()) {
      (all || t.cycleIssued >= cycle - 1 ? chosen : older).push_back(std::move(t));
    }
    std::shuffle(older.begin(), older.end(), rng_);
    if (older.size() > o_.sweepSample) older.resize(o_.sweepSample);
    chosen.insert(chosen.end(), older.begin(), older.end());
    SweepResult r = sweepTokens(model_, chosen, pitd_->port(), key_, 4);
    tokensChecked_ += r.checked;
    sweepSkipped_ += r.skippedNearDeadline;
    wrongIntrospections_ += static_cast<int64_t>(r.problems.size());
    for (auto& p : r.problems) problems_.push_back("after restart " + std::to_string(cycle) + ": " + p);
  }

  // Let every window elapse under a live pitd, check every token, stop it cleanly, then judge the
  // whole log: the scheduler closed every window (its catch-up after kills included), the chain
  // verifies, and no byte on disk or in the logs holds a token.
  void finish() {
    std::this_thread::sleep_for(std::chrono::milliseconds(o_.windowSeconds * 1000 + 1000));
    sweep(o_.cycles + 1, true);
    int status = pitd_->stop();
    const Millis stoppedAt = wallMillis();
    if (status != 0) problems_.push_back("pitd exited " + std::to_string(status) + " on SIGTERM");
    std::vector<std::string> logProblems;
    auto fresh = log_.readNew(&logProblems);
    for (const auto& e : fresh) {
      if (e.actorRole != "system") problems_.push_back("a client event after the last cycle: seq " + std::to_string(e.seq));
    }
    for (auto& p : logProblems) problems_.push_back(p);
    for (auto& p : checkScheduler(log_.all(), model_.windowMs(), stoppedAt, 1000, &windowsElapsed_)) {
      problems_.push_back("scheduler: " + p);
    }
    verify("at the end");
    std::vector<std::string> plaintexts;
    for (const auto& t : model_.knownTokens()) plaintexts.push_back(t.plaintext);
    auto leaked = findLeakedTokens({data_.str(), logs_.str()}, plaintexts);
    tokenLeaks_ = static_cast<int64_t>(leaked.size());
    for (const auto& id : leaked) problems_.push_back("token " + id + " found on disk or in a log");
  }

  // Stops the cycles at the first problem: later ones would mostly be its consequences.
  bool failed() const {
    if (!problems_.empty()) return true;
    for (const auto& w : workers_) {
      if (!w->problems().empty()) return true;
    }
    return false;
  }

  Tally totals() const {
    Tally t;
    for (const auto& w : workers_) t.add(w->tally());
    return t;
  }

  Figures figures() const {
    Tally t = totals();
    Figures f("crash");
    f.set("cycles", static_cast<int64_t>(o_.cycles));
    f.set("workers", static_cast<int64_t>(o_.workers));
    f.set("commands_sent", t.commandsSent);
    f.set("acknowledged", t.acknowledged);
    f.set("refused_as_predicted", t.refused);
    f.set("uncertain_resolved_committed", t.uncertainCommitted);
    f.set("uncertain_resolved_absent", t.uncertainAbsent);
    f.set("lost", t.lost);
    f.set("duplicated", t.duplicated + log_.duplicates());
    f.set("phantom", t.phantom);
    f.set("wrong_answers", t.wrongAnswers + wrongIntrospections_);
    f.set("idempotent_retries", t.idempotentRetries);
    f.set("idempotent_replays", t.idempotentReplays);
    f.set("tokens_issued", static_cast<int64_t>(model_.tokenCount()));
    f.set("tokens_checked", tokensChecked_ + t.introspectionsChecked);
    f.set("other_reads_checked", t.reads - t.introspectionsChecked);
    f.set("checks_skipped_near_deadline", sweepSkipped_ + t.readsSkippedNearDeadline);
    f.set("events", static_cast<int64_t>(log_.all().size()));
    f.set("windows_closed_by_scheduler", windowsElapsed_);
    f.set("verify_failures", verifyFailures_);
    f.set("token_leaks", tokenLeaks_);
    f.set("failures", static_cast<int64_t>(problems_.size()));
    f.set("seconds", seconds_);
    return f;
  }

  const Options o_;
  testing::TempDir data_{"crash-data"};
  testing::TempDir logs_{"crash-logs"};
  Model model_;
  EventLog log_{PIT_DUMP_PATH, data_.str()};
  std::vector<std::unique_ptr<Worker>> workers_;
  std::mt19937_64 rng_;
  std::unique_ptr<testing::PitdProcess> pitd_;
  std::string key_;
  std::vector<std::string> problems_;
  int64_t tokensChecked_ = 0;
  int64_t sweepSkipped_ = 0;
  int64_t wrongIntrospections_ = 0;
  int64_t verifyFailures_ = 0;
  int64_t tokenLeaks_ = 0;
  int64_t windowsElapsed_ = 0;
  double seconds_ = 0;
};

}  // namespace
}  // namespace pitlog::campaigns::crash

int main(int argc, char** argv) {
  namespace po = boost::program_options;
  pitlog::campaigns::crash::Options o;
  po::options_description desc("crash_campaign: SIGKILL pitd under concurrent commands");
  desc.add_options()("help", "this text")
      ("cycles", po::value(&o.cycles)->default_value(o.cycles), "kill/restart cycles")
      ("workers", po::value(&o.workers)->default_value(o.workers), "concurrent client threads")
      ("window-seconds", po::value(&o.windowSeconds)->default_value(o.windowSeconds),
       "pitd's --rotation-window, so that windows elapse across kills")
      ("min-load-ms", po::value(&o.minLoadMs)->default_value(o.minLoadMs), "shortest load before a kill")
      ("max-load-ms", po::value(&o.maxLoadMs)->default_value(o.maxLoadMs), "longest load before a kill")
      ("sweep-sample", po::value(&o.sweepSample)->default_value(o.sweepSample),
       "older tokens introspected after each restart")
      ("seed", po::value(&o.seed), "random seed (default: from the clock, printed)");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << e.what() << "\n" << desc;
    return 2;
  }
  if (vm.count("help")) {
    std::cout << desc;
    return 0;
  }
  if (!vm.count("seed")) o.seed = std::random_device{}();
  std::cout << "crash campaign: " << o.cycles << " cycles, " << o.workers << " workers, seed "
            << o.seed << std::endl;
  return pitlog::campaigns::crash::Campaign(o).run();
}
