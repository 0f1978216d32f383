#pragma once
// One client thread of the crash campaign. It owns a few integrations of one account and two
// users' permissions, so that nothing it does races another thread and it can predict the answer
// to each of its commands from the model (a deadline falling inside a request's span makes
// either answer acceptable). It stops at the first request that fails, which after the kill is
// the one whose answer was cut: at most one uncertain command per worker per cycle.
//
// After each kill the campaign hands every worker the events read back from the log, grouped by
// request id; settle() judges each request of the cycle against them (an acknowledged command
// must be there exactly once, a refused or replayed one not at all), resolves the cut one into
// the model, and plans idempotent retries for the next cycle.
#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "event_log.h"
#include "model.h"

namespace pitlog::campaigns::crash {

enum class Kind { create, createAsUser, patch, rotateLater, rotateNow, cancel, expireNow, remove,
                  permission };

// A command sent and what became of it.
struct Request {
  Kind kind = Kind::create;
  std::string requestId;
  std::string method;
  std::string path;
  std::string body;
  std::string integrationId;        // the target; for a create, the one it made
  std::vector<std::string> scopes;  // create, patch
  std::string user;                 // permission
  bool allowed = false;             // permission
  std::string ifMatch;              // "" when not sent
  bool ifMatchWrong = false;        // sent on purpose with a version that cannot match
  std::string idempotencyKey;       // "" when not sent
  std::optional<int> replayOf;      // a retry that must replay an answer of this status

  Millis t0 = 0, t1 = 0;
  bool answered = false;
  int status = 0;
  bool replayed = false;
};

struct Tally {
  int64_t commandsSent = 0;
  int64_t acknowledged = 0;
  int64_t refused = 0;  // answered with an error, as the model predicted or allowed
  int64_t uncertainCommitted = 0;
  int64_t uncertainAbsent = 0;
  int64_t lost = 0;
  int64_t duplicated = 0;
  int64_t phantom = 0;  // events for a request that was refused
  int64_t wrongAnswers = 0;
  int64_t reads = 0;                 // introspections, GETs of integrations and permissions
  int64_t introspectionsChecked = 0;  // introspections compared with the model
  int64_t readsSkippedNearDeadline = 0;
  int64_t idempotentRetries = 0;
  int64_t idempotentReplays = 0;

  void add(const Tally& o);
};

class Worker {
 public:
  Worker(int index, std::string account, Model& model, uint64_t seed);

  // Sends commands and reads to pitd on `port` until a request fails. A failure before `killed`
  // is set is a problem.
  void runCycle(int cycle, int port, const std::string& serviceKey,
                const std::atomic<bool>& killed);

  // With pitd stopped after the kill: judges this cycle's requests against their events.
  void settle(const std::map<std::string, std::vector<const LoggedEvent*>>& byRequest);

  const Tally& tally() const { return tally_; }
  // Problems found so far (never a plaintext token in them).
  const std::vector<std::string>& problems() const { return problems_; }
  // This cycle's commands, for the campaign's check that every event belongs to one.
  const std::vector<Request>& requests() const { return requests_; }

 private:
  bool issue(Request& r);
  void judgeAnswer(Request& r, const std::string& body);
  void judgeReplay(const Request& r, const std::string& body);
  void applyCommitted(const Request& r, const std::vector<const LoggedEvent*>& events);
  std::string shapeProblem(const Request& r, const std::vector<const LoggedEvent*>& events,
                           bool* duplicated) const;

  // Planning the next request; reads are carried out at once. False when a read failed.
  bool step();
  Request planCreate(bool asUser);
  Request planOn(Kind kind, const std::string& id);
  bool readIntrospection();
  bool readIntegration();
  bool readPermission();

  std::optional<Actor> actorFor(const Request& r) const;
  void problem(const std::string& what);
  void wrong(const Request& r, const std::string& what, const std::string& body);
  std::vector<std::string> randomScopes();
  template <class T>
  const T& pick(const std::vector<T>& items) {
    return items[std::uniform_int_distribution<size_t>(0, items.size() - 1)(rng_)];
  }

  const int index_;
  const std::string account_;
  const std::string grantedUser_;  // a plain user whose permission this worker flips
  const std::string otherUser_;
  Model& model_;
  std::mt19937_64 rng_;

  int cycle_ = 0;
  int port_ = 0;
  std::string key_;
  const std::atomic<bool>* killed_ = nullptr;
  uint64_t nextRequest_ = 0;

  std::vector<std::string> live_;         // integrations not deleted
  std::map<std::string, int64_t> version_;  // last version an answer or event showed
  std::map<std::string, Millis> versionAt_;
  std::map<std::string, std::optional<bool>> permission_;  // user -> grant/withdrawal/none
  std::vector<ModelToken> tokens_;        // the plaintexts this worker holds
  std::vector<Request> requests_;         // this cycle's commands
  std::vector<Request> retries_;          // to send first in the next cycle
  Tally tally_;
  std::vector<std::string> problems_;
};

}  // namespace pitlog::campaigns::crash
