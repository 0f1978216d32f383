// The soak (issue #5, campaign 7): one pitd with a few thousand tokens answers introspections on
// keep-alive connections — valid, rotated-out, deleted, unknown and malformed tokens, every answer
// checked — while a steady trickle of commands changes the fleet; its RSS is sampled throughout.
// Prints a summary, then `FIGURES {json}` last; exits 1 on any error, wrong answer, or memory
// that keeps growing (the rule is at kRssGrowthFactor below).
#include <boost/program_options.hpp>

#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "campaign_api.h"
#include "commands/token.h"
#include "figures.h"
#include "fleet.h"
#include "keepalive_client.h"
#include "rss_sampler.h"
#include "support/http_client.h"
#include "support/pitd_process.h"
#include "support/temp_dir.h"
#include "token_book.h"

namespace pitlog::campaigns::soak {
namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  int seconds = 60;
  int tokens = 2000;
  int readers = 3;
  int commandsPerSecond = 20;
  int accounts = 10;
};

// Bounded memory: once warmed up, pitd's RSS may grow with the tokens the trickle adds and with
// allocator slack, but not without bound. The soak fails when any sample of its last quarter
// exceeds 1.5 x the first sample after warm-up + 32 MiB: generous enough for a few thousand new
// tokens and arena growth, far below what a per-request leak does over minutes (even 100 bytes per
// introspection is ~100 MiB per million).
constexpr double kRssGrowthFactor = 1.5;
constexpr int64_t kRssSlackKib = 32 * 1024;

// Tokens nobody issued: well formed (the checksum holds, so pitd must look them up) and
// malformed (a wrong checksum, so it must reject them without one). Both answer inactive.
std::vector<std::string> strangerTokens(size_t count, std::mt19937_64& rng) {
  static const char kBase62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::vector<std::string> out;
  for (size_t n = 0; n < count; ++n) {
    std::string random;
    for (size_t k = 0; k < commands::kTokenRandomChars; ++k) random += kBase62[rng() % 62];
    std::string token = std::string(commands::kTokenPrefix) + random + commands::tokenChecksum(random);
    if (n % 4 == 3) token.back() = token.back() == 'x' ? 'y' : 'x';
    out.push_back(token);
  }
  return out;
}

struct ReaderTally {
  int64_t introspections = 0;
  int64_t errors = 0;
  int64_t wrong = 0;
  int64_t skippedInFlight = 0;
  long reconnects = 0;
  std::vector<std::string> problems;
};

// Introspects until the deadline, three in four from the book, one in four a stranger.
ReaderTally readLoop(int port, const std::string& key, const TokenBook& book,
                     const std::vector<std::string>& strangers, Clock::time_point deadline,
                     uint64_t seed) {
  ReaderTally t;
  std::mt19937_64 rng(seed);
  KeepAliveConnection connection(port);
  const Headers headers = requestHeaders(key, std::nullopt, "", true);
  auto problem = [&](const std::string& what) {
    if (t.problems.size() < 20) t.problems.push_back(what);
  };
  while (Clock::now() < deadline) {
    std::optional<TokenBook::Snapshot> entry;
    size_t index = 0;
    std::string stranger;
    if (rng() % 4 != 0) {
      index = rng() % book.size();
      entry = book.read(index);
      if (!entry) {
        ++t.skippedInFlight;
        continue;
      }
    } else {
      stranger = strangers[rng() % strangers.size()];
    }
    const std::string& token = entry ? entry->token : stranger;
    testing::HttpResponse r;
    try {
      r = connection.request("POST", "/v1/introspect", headers, introspectBody(token));
    } catch (const std::exception& e) {
      ++t.errors;
      problem(std::string("introspection failed: ") + e.what());
      continue;
    }
    ++t.introspections;
    if (r.status != 200) {
      ++t.errors;
      problem("introspection answered " + std::to_string(r.status) + ": " + testing::redacted(r.body));
      continue;
    }
    if (entry && !book.unchangedSince(index, entry->generation)) {
      ++t.skippedInFlight;  // a command on this token landed meanwhile
      continue;
    }
    std::string diff = compareIntrospection(r.body, entry ? entry->expected : ExpectedIntrospection{});
    if (!diff.empty()) {
      ++t.wrong;
      problem("token " + tokenIdOf(token) + (entry ? "" : " (a stranger)") + ": " + diff);
    }
  }
  t.reconnects = connection.reconnects();
  return t;
}

// RocksDB's share of pitd's memory (pitlog_storage_memory_bytes on /metrics), in KiB by part,
// so that a memory problem can be told apart from RocksDB filling its budget.
std::map<std::string, int64_t> storageMemoryKib(int port) {
  std::map<std::string, int64_t> parts;
  const std::string prefix = "pitlog_storage_memory_bytes{part=\"";
  try {
    std::istringstream page(testing::httpRequest(port, "GET", "/metrics", {}, "").body);
    for (std::string line; std::getline(page, line);) {
      if (line.rfind(prefix, 0) != 0) continue;
      const size_t quote = line.find('"', prefix.size());
      const size_t space = line.rfind(' ');
      if (quote == std::string::npos || space == std::string::npos) continue;
      parts[line.substr(prefix.size(), quote - prefix.size())] =
          static_cast<int64_t>(std::stod(line.substr(space + 1)) / 1024);
    }
  } catch (const std::exception&) {
    // Missing figures are reported as such; the campaign's verdict does not depend on them.
  }
  return parts;
}

int run(const Options& o) {
  testing::TempDir data("soak-data");
  testing::TempDir logs("soak-logs");
  // A window longer than the soak: tokens rotated `later` stay valid throughout.
  testing::PitdProcess pitd(logs.sub("pitd.log"), {"--data", data.str(), "--http", "127.0.0.1:0",
                                                   "--rpc", "off", "--rotation-window", "48h"});
  const std::string key = readServiceKey(data.str());
  std::mt19937_64 rng(std::random_device{}());
  TokenBook book;
  Fleet fleet(pitd.port(), key, book, o.accounts);

  const auto setupStart = Clock::now();
  fleet.populate(o.tokens, 8);
  const double setupSeconds = std::chrono::duration<double>(Clock::now() - setupStart).count();
  const size_t initialTokens = book.size();
  const std::vector<std::string> strangers = strangerTokens(400, rng);
  std::cout << "soak: " << initialTokens << " tokens in " << fleet.liveIntegrations()
            << " live integrations after " << setupSeconds << " s of set-up; load for "
            << o.seconds << " s" << std::endl;

  const int64_t setupCommands = fleet.commands();
  RssSampler sampler(pitd.pid(), std::chrono::milliseconds(2000));
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::seconds(o.seconds);
  std::vector<ReaderTally> tallies(o.readers);
  std::vector<std::thread> readers;
  for (int n = 0; n < o.readers; ++n) {
    readers.emplace_back([&, n]() {
      tallies[n] = readLoop(pitd.port(), key, book, strangers, deadline, rng() + n);
    });
  }
  // The trickle, paced on a fixed schedule so that a slow answer does not lower the rate.
  const auto interval = std::chrono::microseconds(1000000 / std::max(1, o.commandsPerSecond));
  for (auto next = start; next < deadline; next += interval) {
    std::this_thread::sleep_until(next);
    fleet.randomCommand(rng);
  }
  for (auto& t : readers) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  sampler.stop();
  const auto storageMemory = storageMemoryKib(pitd.port());
  const bool aliveAtEnd = residentKib(pitd.pid()) >= 0;
  const int exitStatus = pitd.stop();

  ReaderTally total;
  for (const auto& t : tallies) {
    total.introspections += t.introspections;
    total.errors += t.errors;
    total.wrong += t.wrong;
    total.skippedInFlight += t.skippedInFlight;
    total.reconnects += t.reconnects;
    total.problems.insert(total.problems.end(), t.problems.begin(), t.problems.end());
  }
  std::vector<std::string> problems = fleet.problems();
  problems.insert(problems.end(), total.problems.begin(), total.problems.end());
  if (!aliveAtEnd) problems.push_back("pitd was gone at the end of the load");
  if (exitStatus != 0) problems.push_back("pitd exited " + std::to_string(exitStatus) + " on SIGTERM");

  // Memory: start is the first sample after warm-up (a tenth of the run, at least 5 s).
  const double warmUp = std::max(5.0, o.seconds / 10.0);
  const auto samples = sampler.samples();
  int64_t rssStart = -1, rssEnd = -1, rssPeak = -1, lastQuarterMax = -1;
  for (const auto& s : samples) {
    if (rssStart < 0 && s.atSeconds >= warmUp) rssStart = s.kib;
    if (s.atSeconds >= 0.75 * seconds) lastQuarterMax = std::max(lastQuarterMax, s.kib);
    rssPeak = std::max(rssPeak, s.kib);
    rssEnd = s.kib;
  }
  const int64_t rssBound = static_cast<int64_t>(kRssGrowthFactor * rssStart) + kRssSlackKib;
  if (rssStart < 0 || lastQuarterMax < 0) {
    problems.push_back("too few RSS samples (run for at least 10 s)");
  } else if (lastQuarterMax > rssBound) {
    problems.push_back("RSS grew to " + std::to_string(lastQuarterMax) + " KiB in the last quarter, over the bound " +
                       std::to_string(rssBound) + " KiB (1.5 x start " + std::to_string(rssStart) + " + 32 MiB)");
  }

  for (const auto& p : problems) std::cerr << "FAIL " << p << "\n";
  const int64_t errors = total.errors + fleet.errors();
  std::cout << "soak: " << total.introspections << " introspections (" << total.skippedInFlight
            << " dropped: a command on the token was in flight), " << fleet.commands() - setupCommands
            << " commands, " << total.reconnects << " reconnects; RSS " << rssStart << " -> "
            << rssEnd << " KiB (peak " << rssPeak << ", bound " << rssBound << ")" << std::endl;
  std::cout << "soak: RocksDB at the end (KiB):";
  for (const auto& [part, kib] : storageMemory) std::cout << " " << part << " " << kib;
  std::cout << std::endl;
  Figures f("soak");
  f.set("seconds", seconds);
  f.set("tokens_initial", static_cast<int64_t>(initialTokens));
  f.set("tokens_final", static_cast<int64_t>(book.size()));
  f.set("readers", static_cast<int64_t>(o.readers));
  f.set("introspections", total.introspections);
  f.set("introspections_per_s", total.introspections / seconds);
  f.set("commands", fleet.commands() - setupCommands);
  f.set("commands_per_s", (fleet.commands() - setupCommands) / seconds);
  f.set("errors", errors);
  f.set("wrong_answers", total.wrong);
  f.set("reconnects", static_cast<int64_t>(total.reconnects));
  f.set("rss_start_kib", rssStart);
  f.set("rss_end_kib", rssEnd);
  f.set("rss_peak_kib", rssPeak);
  f.set("rss_bound_kib", rssBound);
  for (const auto& [part, kib] : storageMemory) f.set("rocksdb_" + part + "_kib", kib);
  f.set("failures", static_cast<int64_t>(problems.size()));
  bool written = f.publish();
  return problems.empty() && written ? 0 : 1;
}

}  // namespace
}  // namespace pitlog::campaigns::soak

int main(int argc, char** argv) {
  namespace po = boost::program_options;
  pitlog::campaigns::soak::Options o;
  po::options_description desc("soak_campaign: introspection load plus a trickle of commands");
  desc.add_options()("help", "this text")
      ("seconds", po::value(&o.seconds)->default_value(o.seconds), "duration of the load")
      ("tokens", po::value(&o.tokens)->default_value(o.tokens), "integrations created first")
      ("readers", po::value(&o.readers)->default_value(o.readers), "introspection threads")
      ("commands-per-second", po::value(&o.commandsPerSecond)->default_value(o.commandsPerSecond),
       "rate of the command trickle")
      ("accounts", po::value(&o.accounts)->default_value(o.accounts), "accounts to spread over");
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
  try {
    return pitlog::campaigns::soak::run(o);
  } catch (const std::exception& e) {
    std::cerr << "FAIL soak aborted: " << pitlog::testing::redacted(e.what()) << "\n";
    return 1;
  }
}
