// The storage-fault campaign (issue #5, campaign 2) against the real pitd.
//
// pitd runs on a small tmpfs (the caller mounts it) under a steady load of commands. Episodes
// cycle through a full disk (a filler file takes the last byte), a read-only file system and
// fsync failing with EIO (both through fs_fault_shim.c). In each: commands must answer 503
// `unavailable` in the API's error shape, /healthz must answer, the metrics must say the storage
// is not writable, introspection and reads must go on from memory; then the fault is lifted and
// the same pitd (same pid, no restart) must take commands again. An fsync episode also plays the
// review's case: a keyed DELETE whose fsync fails (503 "may have been applied"), its retry during
// the fault (503, never a replay of a record whose fsync failed), its retry after the fault (204),
// after which the deleted integration's token must be inactive. After every episode, with the
// load paused, memory must equal a replay of the log: every token ever issued is introspected
// (memory) and compared with `pit-replay as-of` at the log's last event (a replay of the log
// beside the running pitd): active or not, and its deadline. At the end: every acknowledged
// command's events are in the log exactly once, no event belongs to a command that was not
// acknowledged, `pit-replay verify` passes, and a restart sees the same log. Then pitd's
// start-up refusals are checked.
//
// Usage: pitlog_faults_campaign --pit-replay P --mount DIR --work DIR [--shim SO]
//        [--episodes N] [--workers N] [--figures FILE]
// Prints one line per episode and `FIGURES {json}` last; exits 1 when any check fails.
// Plaintext tokens never reach the output.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "events/digest.h"
#include "events/time_format.h"
#include "fs_faults.h"
#include "startup_refusals.h"
#include "support/http_client.h"
#include "support/json.h"
#include "support/pitd_process.h"

namespace {

using namespace pitlog::campaigns::faults;
using pitlog::testing::Headers;
using pitlog::testing::httpRequest;
using pitlog::testing::HttpResponse;
using pitlog::testing::Json;
using pitlog::testing::PitdProcess;
using pitlog::testing::readFile;
using pitlog::testing::redacted;
using Clock = std::chrono::steady_clock;

const std::string kAccount = "acme";
const std::string kBody = R"({"name":"fault","scopes":["contacts.readonly"]})";

struct Args {
  std::string pitReplay, mount, work, shim, figures;
  int episodes = 4;
  int workers = 2;
};

enum class Fault { enospc, readOnly, fsyncEio };
const char* faultName(Fault f) {
  return f == Fault::enospc ? "enospc" : f == Fault::readOnly ? "readonly" : "fsync-eio";
}

struct Figures {
  int episodesEnospc = 0, episodesReadonly = 0, episodesFsyncEio = 0;
  int memoryChecks = 0;
  uint64_t tokensCompared = 0, memoryMismatches = 0;
  int deletesRetried = 0;
  std::atomic<uint64_t> commands503{0}, commandsAcknowledged{0}, commandsMaybeApplied{0};
  uint64_t lost = 0, halfWritten = 0, unknownOutcome = 0;
  uint64_t introspectionsDuringFault = 0, introspectionErrors = 0;
  int recoveredWithoutRestart = 0;
  int startupRefusalsChecked = 0;
  double maxRecoverySeconds = 0;
  size_t logLinesFailed = 0, logLinesRecovered = 0;
  std::vector<std::string> failures;
};

Figures figures;
std::mutex failMu;

void fail(const std::string& what) {
  std::lock_guard lock(failMu);
  std::cerr << "FAIL " << what << "\n";
  figures.failures.push_back(what);
}

class Client {
 public:
  Client(int port, std::string key) : port_(port), key_(std::move(key)) {}
  Headers headers(const std::string& requestId, bool body, const Headers& extra = {}) const {
    Headers h{{"Authorization", "Bearer " + key_}, {"X-Actor-User", "alice"},
              {"X-Actor-Role", "admin"}, {"X-Request-Id", requestId}};
    if (body) h.emplace_back("Content-Type", "application/json");
    h.insert(h.end(), extra.begin(), extra.end());
    return h;
  }
  HttpResponse send(const std::string& method, const std::string& path, const std::string& body,
                    const std::string& requestId, const Headers& extra = {}) const {
    return httpRequest(port_, method, path, headers(requestId, !body.empty(), extra), body);
  }
  HttpResponse get(const std::string& target) const {
    return httpRequest(port_, "GET", target, headers("get", false));
  }
  int port() const { return port_; }

 private:
  int port_;
  std::string key_;
};

// What the campaign asked for and heard back, by request id: the events each acknowledged
// request must have left in the log, and the requests answered 503 (which must have left none).
class Ledger {
 public:
  void acknowledged(const std::string& requestId, size_t events) {
    std::lock_guard lock(mu_);
    acked_[requestId] = events;
    ++figures.commandsAcknowledged;
  }
  void unavailable(const std::string& requestId) {
    std::lock_guard lock(mu_);
    refused_.insert(requestId);
    ++figures.commands503;
  }
  void unknown(const std::string& requestId) {
    std::lock_guard lock(mu_);
    unknown_.insert(requestId);
  }
  // Compares with the events of the log, counted by request id.
  void check(const std::map<std::string, size_t>& logged) {
    std::lock_guard lock(mu_);
    for (const auto& [id, n] : acked_) {
      auto it = logged.find(id);
      size_t have = it == logged.end() ? 0 : it->second;
      if (have < n) figures.lost += n - have;
      if (have > n) figures.halfWritten += have - n;
    }
    for (const auto& [id, n] : logged) {
      if (acked_.count(id)) continue;
      if (unknown_.count(id)) {
        ++figures.unknownOutcome;  // "may have been applied", or no answer: either is right
        continue;
      }
      figures.halfWritten += n;  // answered 503 (or never sent), yet in the log
    }
  }

 private:
  std::mutex mu_;
  std::map<std::string, size_t> acked_;
  std::set<std::string> refused_, unknown_;
};

Ledger ledger;

// Every plaintext token pitd has handed out (creates and rotations answered 2xx), for the check
// that memory equals a replay of the log. Never printed.
class TokenBook {
 public:
  void keep(const HttpResponse& r) {
    if (r.status != 200 && r.status != 201) return;
    auto token = Json::parse(r.body)["token"];
    if (!token.exists() || token.isNull()) return;
    std::lock_guard lock(mu_);
    tokens_.push_back(token.str());
  }
  std::vector<std::string> all() const {
    std::lock_guard lock(mu_);
    return tokens_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> tokens_;
};

TokenBook tokenBook;

bool isUnavailable(const HttpResponse& r) {
  if (r.status != 503) return false;
  try {
    auto e = Json::parse(r.body)["error"];
    return e["code"].str() == "unavailable" && !e["message"].str().empty();
  } catch (const std::exception&) {
    return false;
  }
}

// One command with its own request id, recorded in the ledger. Returns the response.
HttpResponse command(const Client& c, const std::string& method, const std::string& path,
                     const std::string& body, const std::string& requestId,
                     const Headers& extra = {}) {
  HttpResponse r;
  try {
    r = c.send(method, path, body, requestId, extra);
  } catch (const std::exception& e) {
    ledger.unknown(requestId);
    fail("request " + requestId + " got no answer: " + e.what());
    return r;
  }
  if (r.status == 200 || r.status == 201 || r.status == 204) {
    ledger.acknowledged(requestId, 1);
    tokenBook.keep(r);
  } else if (isUnavailable(r) && r.body.find("may have been applied") != std::string::npos) {
    // A failed fsync: pitd cannot know whether the WAL record survives, and says so. Either
    // outcome is right; the log check accepts it in the log or not.
    ledger.unknown(requestId);
    ++figures.commands503;
    ++figures.commandsMaybeApplied;
  } else if (isUnavailable(r)) {
    ledger.unavailable(requestId);
  } else {
    fail("request " + requestId + " answered " + std::to_string(r.status) + ": " +
         redacted(r.body));
  }
  return r;
}

// A worker's integration: its id and the version it knows (If-Match on every change, so that a
// stream version moved by a command answered 503 shows up as a 412).
struct Owned {
  std::string id;
  uint32_t version = 0;
};

void worker(const Client& c, const std::string& name, const std::atomic<bool>& stop) {
  std::vector<Owned> owned;
  for (uint64_t n = 0; !stop; ++n) {
    const std::string rid = name + "-" + std::to_string(n);
    const int pick = static_cast<int>(n % 4);
    if (owned.empty() || pick == 0) {
      auto r = command(c, "POST", "/v1/accounts/" + kAccount + "/integrations", kBody, rid);
      if (r.status == 201) {
        auto j = Json::parse(r.body)["integration"];
        owned.push_back({j["id"].str(), static_cast<uint32_t>(j["version"].num())});
      }
    } else {
      auto& o = owned[n % owned.size()];
      const std::string path = "/v1/accounts/" + kAccount + "/integrations/" + o.id;
      if (o.version == 0) {  // after "may have been applied": learn where the stream stands
        auto g = c.get(path);
        if (g.status != 200) continue;
        o.version = static_cast<uint32_t>(Json::parse(g.body)["integration"]["version"].num());
      }
      HttpResponse r;
      Headers ifMatch{{"If-Match", "\"" + std::to_string(o.version) + "\""}};
      if (pick == 3) {
        // Rotate with expire now: never a 409 for a pending rotation.
        r = command(c, "POST", path + "/rotate", R"({"expire":"now"})", rid, ifMatch);
      } else {
        r = command(c, "PATCH", path, R"({"name":"n)" + std::to_string(n) + "\"}", rid, ifMatch);
      }
      if (r.status == 200) {
        o.version = static_cast<uint32_t>(Json::parse(r.body)["integration"]["version"].num());
      } else if (r.body.find("may have been applied") != std::string::npos) {
        o.version = 0;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// A rotate with `now` appends RotationStarted plus one Expired per valid token: the ledger counts
// commands, so the log is compared by request id with "at least one event" for those.
std::map<std::string, size_t> loggedCommands(const Client& c) {
  std::map<std::string, size_t> byRequest;
  std::map<std::string, uint64_t> lastSeqOf;
  std::string after = "0";
  for (;;) {
    auto r = c.get("/v1/accounts/" + kAccount + "/audit?limit=1000&after=" + after);
    if (r.status != 200) throw std::runtime_error("audit answered " + std::to_string(r.status));
    auto j = Json::parse(r.body);
    auto events = j["events"];
    for (size_t i = 0; i < events.size(); ++i) {
      const auto e = events[i];
      // Events of one command are consecutive and share the request id: count the command once.
      const std::string rid = e["requestId"].str();
      const uint64_t seq = static_cast<uint64_t>(e["seq"].num());
      auto it = lastSeqOf.find(rid);
      if (it == lastSeqOf.end() || it->second + 1 != seq) ++byRequest[rid];
      lastSeqOf[rid] = seq;
    }
    if (j["next"].isNull()) break;
    after = std::to_string(static_cast<uint64_t>(j["next"].num()));
  }
  return byRequest;
}

bool metricSays(const Client& c, const std::string& line) {
  auto r = c.get("/metrics");
  return r.status == 200 && r.body.find("\n" + line + "\n") != std::string::npos;
}

// Introspects every seed token (each must be active) and reads one integration.
void checkReadsFromMemory(const Client& c, const std::vector<std::string>& tokens,
                          const std::string& seedId, const std::string& episode) {
  for (const auto& token : tokens) {
    ++figures.introspectionsDuringFault;
    try {
      auto r = httpRequest(c.port(), "POST", "/v1/introspect",
                           c.headers("introspect", true), R"({"token":")" + token + "\"}");
      if (r.status != 200 || !Json::parse(r.body)["active"].boolean()) {
        ++figures.introspectionErrors;
        fail(episode + ": introspection answered " + std::to_string(r.status) + " " +
             redacted(r.body));
      }
    } catch (const std::exception& e) {
      ++figures.introspectionErrors;
      fail(episode + ": introspection failed: " + e.what());
    }
  }
  auto view = c.get("/v1/accounts/" + kAccount + "/integrations/" + seedId);
  if (view.status != 200) fail(episode + ": GET integration answered " + std::to_string(view.status));
}

// Sends probe creates until one answers 503 (a few may still fit in a page the WAL had).
bool provokeUnavailable(const Client& c, const std::string& episode, int* probe) {
  for (int i = 0; i < 200; ++i) {
    auto r = command(c, "POST", "/v1/accounts/" + kAccount + "/integrations", kBody,
                     episode + "-probe-" + std::to_string((*probe)++));
    if (isUnavailable(r)) return true;
  }
  return false;
}

// After the fault is lifted: probes until a create is acknowledged. Returns the seconds it took,
// or a negative number when it never was.
double awaitRecovery(const Client& c, const std::string& episode, int* probe) {
  const auto start = Clock::now();
  while (Clock::now() - start < std::chrono::seconds(20)) {
    auto r = command(c, "POST", "/v1/accounts/" + kAccount + "/integrations", kBody,
                     episode + "-probe-" + std::to_string((*probe)++));
    if (r.status == 201) return std::chrono::duration<double>(Clock::now() - start).count();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return -1;
}

// The load: `workers` clients sending commands until the load is stopped (between episodes, so
// that memory can be compared with the log while nothing is in flight).
class Load {
 public:
  Load(const Client& c, int workers, const std::string& name) {
    for (int w = 0; w < workers; ++w) {
      threads_.emplace_back([&c, this, w, name] { worker(c, name + "-w" + std::to_string(w), stop_); });
    }
  }
  ~Load() { stop(); }
  void stop() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

// The review's case, first half, before the load starts (so that this DELETE is the command that
// meets the failed fsync): a keyed DELETE answered 503 "may have been applied".
struct KeyedDelete {
  std::string path, requestId, token;
  Headers key;
};

std::optional<KeyedDelete> deleteDuringFsyncFault(const Client& c, const std::string& name,
                                                  FaultFlag& eio) {
  auto created = command(c, "POST", "/v1/accounts/" + kAccount + "/integrations", kBody,
                         name + "-victim");
  if (created.status != 201) {
    fail(name + ": cannot create the integration to delete: " + redacted(created.body));
    return std::nullopt;
  }
  auto j = Json::parse(created.body);
  KeyedDelete d{"/v1/accounts/" + kAccount + "/integrations/" + j["integration"]["id"].str(),
                name + "-delete", j["token"].str(), {{"Idempotency-Key", name + "-delete"}}};
  eio.on();
  auto r = command(c, "DELETE", d.path, "", d.requestId, d.key);
  if (!isUnavailable(r) || r.body.find("may have been applied") == std::string::npos) {
    fail(name + ": a DELETE whose fsync failed answered " + std::to_string(r.status) + " " +
         redacted(r.body));
  }
  return d;
}

bool introspectsActive(const Client& c, const std::string& token, std::optional<int64_t>* exp) {
  auto r = httpRequest(c.port(), "POST", "/v1/introspect", c.headers("introspect", true),
                       R"({"token":")" + token + "\"}");
  if (r.status != 200) throw std::runtime_error("introspection answered " + std::to_string(r.status));
  auto j = Json::parse(r.body);
  if (exp) *exp = j["exp"].exists() ? std::optional<int64_t>(static_cast<int64_t>(j["exp"].num())) : std::nullopt;
  return j["active"].boolean();
}

void runEpisode(const Client& c, PitdProcess& pitd, const std::string& name, Fault fault,
                int workers, DiskFiller& filler, FaultFlag& roFlag, FaultFlag& eioFlag,
                const std::vector<std::string>& seedTokens, const std::string& seedId) {
  const pid_t pid = pitd.pid();
  int probe = 0;
  std::optional<KeyedDelete> victim;
  if (fault == Fault::fsyncEio) victim = deleteDuringFsyncFault(c, name, eioFlag);
  Load load(c, workers, name);  // meets the fault (and, after it, the recovered pitd)
  if (fault == Fault::readOnly) {
    roFlag.on();
  } else if (fault == Fault::enospc) {
    filler.fill();
  }
  if (!provokeUnavailable(c, name, &probe)) {
    fail(name + ": no command answered 503 while the fault lasted");
  }
  auto health = c.get("/healthz");
  if (health.status != 200 || health.body.find("degraded") == std::string::npos) {
    fail(name + ": /healthz answered " + std::to_string(health.status) + " " + health.body);
  }
  if (!metricSays(c, "pitlog_storage_writable 0")) fail(name + ": pitlog_storage_writable is not 0");
  // The fault lasts past a few of the writer's recovery attempts (every 500 ms), which must see
  // that the file system is still full or read-only and leave pitd degraded; meanwhile reads go
  // on from memory.
  const auto faultEnds = Clock::now() + std::chrono::milliseconds(1200);
  while (Clock::now() < faultEnds) {
    checkReadsFromMemory(c, seedTokens, seedId, name);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto late = command(c, "POST", "/v1/accounts/" + kAccount + "/integrations", kBody, name + "-late");
  if (!isUnavailable(late)) fail(name + ": a command was not answered 503 late in the fault");
  if (victim) {
    // Its WAL record may be in the log that pitd reads meanwhile, but it is not known durable.
    auto retry = command(c, "DELETE", victim->path, "", victim->requestId, victim->key);
    if (!isUnavailable(retry)) {
      fail(name + ": the DELETE retried during the fault answered " + std::to_string(retry.status) +
           (retry.headers.count("idempotent-replayed") ? " (replayed)" : ""));
    }
  }
  if (fault == Fault::readOnly) {
    roFlag.off();
  } else if (fault == Fault::fsyncEio) {
    eioFlag.off();
  } else {
    filler.free();
  }
  const double seconds = awaitRecovery(c, name, &probe);
  if (seconds < 0) {
    fail(name + ": pitd did not take commands again within 20 s of the fault's end");
  } else if (pitd.pid() != pid || ::kill(pid, 0) != 0) {
    fail(name + ": pitd restarted");
  } else {
    ++figures.recoveredWithoutRestart;
    figures.maxRecoverySeconds = std::max(figures.maxRecoverySeconds, seconds);
  }
  if (!metricSays(c, "pitlog_storage_writable 1")) fail(name + ": pitlog_storage_writable is not 1");
  if (c.get("/healthz").body != R"({"status":"ok"})") fail(name + ": /healthz is not ok again");
  if (victim) {
    auto retry = command(c, "DELETE", victim->path, "", victim->requestId, victim->key);
    if (retry.status != 204) {
      fail(name + ": the DELETE retried after the fault answered " + std::to_string(retry.status));
    } else if (introspectsActive(c, victim->token, nullptr)) {
      fail(name + ": the deleted integration's token is still active after recovery");
    }
    ++figures.deletesRetried;
  }
  (fault == Fault::readOnly   ? figures.episodesReadonly
   : fault == Fault::fsyncEio ? figures.episodesFsyncEio
                              : figures.episodesEnospc)++;
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // some load after the fault
  std::cout << name << ": recovered in " << seconds << " s\n" << std::flush;
}

// The log's last sequence as the store shows it (the audit reads the database, not memory).
uint64_t loggedLastSeq(const Client& c) {
  uint64_t last = 0;
  std::string after = "0";
  for (;;) {
    auto j = Json::parse(c.get("/v1/accounts/" + kAccount + "/audit?limit=1000&after=" + after).body);
    auto events = j["events"];
    if (events.size() > 0) last = static_cast<uint64_t>(events[events.size() - 1]["seq"].num());
    if (j["next"].isNull()) return last;
    after = std::to_string(static_cast<uint64_t>(j["next"].num()));
  }
}

uint64_t memoryLastSeq(const Client& c) {
  auto r = c.get("/metrics");
  auto at = r.body.find("\npitlog_log_last_sequence ");
  return at == std::string::npos ? 0 : std::stoull(r.body.substr(at + 26));
}

// Memory equals a replay of the log, with no command in flight: memory's last sequence is the
// log's, and every token ever issued introspects (memory) as `pit-replay as-of` at the log's last
// event says it was valid then (a replay of the log, beside the running pitd): active or not, and
// with the same deadline.
void checkMemoryEqualsReplay(const Client& c, const Args& args, const std::string& data,
                             const std::string& name) {
  ++figures.memoryChecks;
  const uint64_t logged = loggedLastSeq(c), inMemory = memoryLastSeq(c);
  if (logged != inMemory) {
    ++figures.memoryMismatches;
    fail(name + ": memory ends at event " + std::to_string(inMemory) + ", the log at " +
         std::to_string(logged));
  }
  const std::string out = args.work + "/as-of.json";
  const std::string cmd = args.pitReplay + " --data " + data + " as-of --seq " +
                          std::to_string(logged) + " --format json > " + out + " 2> " + out + ".err";
  if (std::system(cmd.c_str()) != 0) {
    fail(name + ": pit-replay as-of failed: " + readFile(out + ".err"));
    return;
  }
  // tokenId -> expiresAt (ms; nullopt: no deadline) of every token the replay finds valid.
  std::map<std::string, std::optional<int64_t>> replayed;
  auto integrations = Json::parse(readFile(out))["integrations"];
  for (size_t i = 0; i < integrations.size(); ++i) {
    auto tokens = integrations[i]["tokens"];
    for (size_t t = 0; t < tokens.size(); ++t) {
      auto expires = tokens[t]["expiresAt"];
      std::optional<int64_t> at;
      if (!expires.isNull()) at = pitlog::events::parseRfc3339(expires.str());
      replayed[tokens[t]["tokenId"].str()] = at;
    }
  }
  for (const auto& token : tokenBook.all()) {
    ++figures.tokensCompared;
    const std::string id = pitlog::events::tokenIdOf(pitlog::events::sha256(token));
    auto it = replayed.find(id);
    std::optional<int64_t> exp;
    const bool active = introspectsActive(c, token, &exp);
    const bool expected = it != replayed.end();  // windows last far longer than the campaign
    std::optional<int64_t> expectedExp;
    if (expected && it->second) expectedExp = *it->second / 1000;
    if (active != expected || (active && exp != expectedExp)) {
      ++figures.memoryMismatches;
      fail(name + ": token " + id + " is " + (active ? "active" : "inactive") +
           " in memory, " + (expected ? "active" : "inactive") + " in a replay of the log" +
           (active && expected && exp != expectedExp ? " (another deadline)" : ""));
    }
  }
}

std::string figuresJson(bool skippedReadonly, double seconds) {
  std::ostringstream o;
  o << R"({"campaign":"faults","skipped":false)"
    << ",\"episodes_enospc\":" << figures.episodesEnospc
    << ",\"episodes_readonly\":" << figures.episodesReadonly
    << ",\"episodes_fsync_eio\":" << figures.episodesFsyncEio
    << ",\"readonly_mechanism\":\"" << (skippedReadonly ? "none" : "ld_preload_erofs") << "\""
    << ",\"memory_checks\":" << figures.memoryChecks
    << ",\"tokens_compared\":" << figures.tokensCompared
    << ",\"memory_mismatches\":" << figures.memoryMismatches
    << ",\"deletes_retried_after_fsync_fault\":" << figures.deletesRetried
    << ",\"commands_503\":" << figures.commands503.load()
    << ",\"commands_acknowledged\":" << figures.commandsAcknowledged.load()
    << ",\"commands_503_maybe_applied\":" << figures.commandsMaybeApplied.load()
    << ",\"lost\":" << figures.lost << ",\"half_written\":" << figures.halfWritten
    << ",\"maybe_applied_durable\":" << figures.unknownOutcome
    << ",\"introspections_during_fault\":" << figures.introspectionsDuringFault
    << ",\"introspection_errors\":" << figures.introspectionErrors
    << ",\"recovered_without_restart\":" << figures.recoveredWithoutRestart
    << ",\"max_recovery_seconds\":" << figures.maxRecoverySeconds
    << ",\"log_lines_failed\":" << figures.logLinesFailed
    << ",\"log_lines_recovered\":" << figures.logLinesRecovered
    << ",\"startup_refusals_checked\":" << figures.startupRefusalsChecked
    << ",\"failures\":" << figures.failures.size() << ",\"seconds\":" << static_cast<int>(seconds)
    << "}";
  return o.str();
}

Args parseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--pit-replay") a.pitReplay = v;
    else if (k == "--mount") a.mount = v;
    else if (k == "--work") a.work = v;
    else if (k == "--shim") a.shim = v;
    else if (k == "--figures") a.figures = v;
    else if (k == "--episodes") a.episodes = std::stoi(v);
    else if (k == "--workers") a.workers = std::stoi(v);
    else throw std::invalid_argument("unknown option " + k);
  }
  if (a.pitReplay.empty() || a.mount.empty() || a.work.empty()) {
    throw std::invalid_argument("--pit-replay, --mount and --work are required");
  }
  return a;
}

int run(const Args& args) {
  const auto start = Clock::now();
  const std::string data = args.mount + "/data";
  const std::string log = args.work + "/pitd.log";
  DiskFiller filler(args.mount + "/filler");
  FaultFlag roFlag(args.work + "/readonly.flag"), eioFlag(args.work + "/fsync-eio.flag");
  roFlag.off();
  eioFlag.off();
  const bool haveShim = !args.shim.empty() && std::filesystem::exists(args.shim);

  // The shim is loaded into pitd only (and is inert until the flag exists).
  if (haveShim) {
    ::setenv("LD_PRELOAD", args.shim.c_str(), 1);
    ::setenv("PITLOG_FAULTS_DIR", args.mount.c_str(), 1);
    ::setenv("PITLOG_FAULTS_RO_FLAG", roFlag.flag().c_str(), 1);
    ::setenv("PITLOG_FAULTS_EIO_FLAG", eioFlag.flag().c_str(), 1);
  }
  // RocksDB preallocates each WAL file for 1.1 write buffers, and the WAL then writes into pages
  // it had reserved: at pitd's default --storage-memory (4 MiB write buffers) a 4.4 MB reserve
  // would hide a full disk from the next few thousand commands. With 1024 MiB (128 MiB write
  // buffers) the preallocation is larger than the 64 MiB tmpfs and fails, so the WAL meets the
  // full disk at once (faults.sh).
  const std::vector<std::string> pitdArgs = {"--data", data, "--http", "127.0.0.1:0", "--rpc", "off",
                                             "--storage-memory", "1024"};
  auto pitd = std::make_unique<PitdProcess>(log, pitdArgs);
  ::unsetenv("LD_PRELOAD");
  const std::string key = readFile(data + "/service.key").substr(0, readFile(data + "/service.key").find('\n'));
  Client client(pitd->port(), key);

  // Seed integrations whose tokens are introspected during every fault; no worker touches them.
  std::vector<std::string> seedTokens;
  std::string seedId;
  for (int i = 0; i < 3; ++i) {
    auto r = command(client, "POST", "/v1/accounts/" + kAccount + "/integrations", kBody,
                     "seed-" + std::to_string(i));
    if (r.status != 201) throw std::runtime_error("cannot seed: " + redacted(r.body));
    auto j = Json::parse(r.body);
    seedTokens.push_back(j["token"].str());
    seedId = j["integration"]["id"].str();
  }

  // Without the shim, full-disk episodes only.
  const Fault cycle[] = {Fault::enospc, Fault::readOnly, Fault::fsyncEio};
  for (int e = 0; e < args.episodes; ++e) {
    const Fault fault = haveShim ? cycle[e % 3] : Fault::enospc;
    const std::string name = std::string(faultName(fault)) + "-" + std::to_string(e);
    runEpisode(client, *pitd, name, fault, args.workers, filler, roFlag, eioFlag, seedTokens,
               seedId);
    checkMemoryEqualsReplay(client, args, data, name);
  }

  // The log holds exactly the acknowledged commands.
  const auto logged = loggedCommands(client);
  ledger.check(logged);
  const uint64_t lastSeq = [&] {
    auto r = client.get("/metrics");
    auto at = r.body.find("\npitlog_log_last_sequence ");
    return at == std::string::npos ? 0ULL : std::stoull(r.body.substr(at + 26));
  }();
  if (int code = pitd->stop(); code != 0) fail("pitd exited " + std::to_string(code) + " on SIGTERM");
  // One error line per episode and one line on each recovery, not one per refused request.
  {
    const std::string text = readFile(log);
    auto count = [&](const std::string& words) {
      size_t n = 0;
      for (auto at = text.find(words); at != std::string::npos; at = text.find(words, at + 1)) ++n;
      return n;
    };
    const size_t episodes = static_cast<size_t>(figures.episodesEnospc + figures.episodesReadonly +
                                                figures.episodesFsyncEio);
    figures.logLinesFailed = count("error storage unavailable");
    figures.logLinesRecovered = count("info storage recovered");
    if (figures.logLinesFailed != episodes || figures.logLinesRecovered != episodes) {
      fail("pitd logged " + std::to_string(figures.logLinesFailed) + " storage failures and " +
           std::to_string(figures.logLinesRecovered) + " recoveries for " +
           std::to_string(episodes) + " episodes");
    }
  }
  const int verify = std::system((args.pitReplay + " --data " + data + " verify > " + args.work +
                                  "/verify.log 2>&1").c_str());
  if (verify != 0) fail("pit-replay verify failed: " + readFile(args.work + "/verify.log"));

  // A restart sees the same log, and the seed tokens.
  pitd = std::make_unique<PitdProcess>(log, pitdArgs);
  Client again(pitd->port(), key);
  {
    auto r = again.get("/metrics");
    if (r.body.find("\npitlog_log_last_sequence " + std::to_string(lastSeq) + "\n") == std::string::npos) {
      fail("after a restart the last sequence is not " + std::to_string(lastSeq));
    }
    for (const auto& t : seedTokens) {
      auto i = httpRequest(again.port(), "POST", "/v1/introspect", again.headers("after", true),
                           R"({"token":")" + t + "\"}");
      if (i.status != 200 || !Json::parse(i.body)["active"].boolean()) fail("a seed token is inactive after restart");
    }
  }
  pitd->stop();
  pitd.reset();

  for (const auto& r : checkStartupRefusals(args.work)) {
    ++figures.startupRefusalsChecked;
    std::cout << "startup refusal, " << r.name << ": exit " << r.exitCode << ", " << r.detail << "\n";
    if (!r.ok) fail("startup refusal, " + r.name + ": " + r.detail);
  }

  if (figures.lost) fail(std::to_string(figures.lost) + " acknowledged events are missing");
  if (figures.halfWritten) fail(std::to_string(figures.halfWritten) + " events of unacknowledged commands");
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const std::string json = figuresJson(!haveShim, seconds);
  if (!args.figures.empty()) std::ofstream(args.figures) << json << "\n";
  std::cout << "FIGURES " << json << "\n";
  return figures.failures.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parseArgs(argc, argv));
  } catch (const std::exception& e) {
    std::cerr << "faults campaign: " << e.what() << "\n";
    return 1;
  }
}
