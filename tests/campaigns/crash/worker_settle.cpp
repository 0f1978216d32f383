// Judging a cycle's requests against the log, and resolving the one a kill cut off.
#include "worker.h"

#include <algorithm>
#include <stdexcept>

#include "support/http_client.h"
#include "support/json.h"
#include "worker_support.h"

namespace pitlog::campaigns::crash {

namespace {


// pitd authorizes before it looks up an Idempotency-Key, so a plain user's retry after a
// withdrawal is refused rather than replayed; only admin commands are retried to test replays.
bool replayable(const Request& r) { return r.kind != Kind::createAsUser; }

// The event types one command appends, in order, as API.md's lifecycle table says.
std::vector<std::string> expectedTypes(Kind k) {
  switch (k) {
    case Kind::create:
    case Kind::createAsUser: return {"Created"};
    case Kind::patch: return {"ScopesUpdated"};
    case Kind::rotateLater: return {"RotationStarted"};
    case Kind::rotateNow: return {"RotationStarted", "Expired"};  // + one more Expired at most
    case Kind::cancel: return {"RotationCancelled"};
    case Kind::expireNow: return {"Expired"};
    case Kind::remove: return {"Deleted"};
    case Kind::permission: return {"PermissionChanged"};
  }
  return {};
}

}  // namespace

std::string Worker::shapeProblem(const Request& r, const std::vector<const LoggedEvent*>& events,
                                 bool* duplicated) const {
  std::vector<std::string> want = expectedTypes(r.kind);
  size_t most = r.kind == Kind::rotateNow ? 3 : want.size();
  *duplicated = events.size() > most;
  if (events.size() < want.size() || events.size() > most) {
    return std::to_string(events.size()) + " events";
  }
  for (size_t i = 0; i < events.size(); ++i) {
    const std::string& type = i < want.size() ? want[i] : want.back();
    if (events[i]->type != type) return "event " + std::to_string(i) + " is " + events[i]->type;
    if (r.kind != Kind::create && r.kind != Kind::createAsUser && r.kind != Kind::permission &&
        events[i]->streamId != r.integrationId) {
      return "event in stream " + events[i]->streamId;
    }
  }
  const LoggedEvent& first = *events.front();
  if (r.kind == Kind::rotateLater && first.expireNow) return "expireNow set";
  if (r.kind == Kind::rotateNow && !first.expireNow) return "expireNow not set";
  if (r.kind == Kind::rotateNow && events[1]->reason != "rotated_now") return "reason " + events[1]->reason;
  if (r.kind == Kind::expireNow && first.reason != "manual") return "reason " + first.reason;
  if (r.kind == Kind::permission && (first.userId != r.user || first.allowed != r.allowed)) {
    return "another permission";
  }
  return "";
}

void Worker::settle(const std::map<std::string, std::vector<const LoggedEvent*>>& byRequest) {
  static const std::vector<const LoggedEvent*> kNone;
  std::vector<Request> keyedAcknowledged;
  for (const Request& r : requests_) {
    auto it = byRequest.find(r.requestId);
    const auto& events = it == byRequest.end() ? kNone : it->second;
    const std::string what = std::string(kindName(r.kind)) + " " + r.requestId;
    bool duplicated = false;
    if (r.answered && isSuccess(r.status) && !r.replayed) {
      if (events.empty()) {
        ++tally_.lost;
        problem("LOST: acknowledged " + what + " has no event in the log");
        continue;
      }
      std::string shape = shapeProblem(r, events, &duplicated);
      if (duplicated) ++tally_.duplicated;
      if (!shape.empty()) problem(what + " (acknowledged) wrote unexpected events: " + shape);
      if (r.kind == Kind::create || r.kind == Kind::createAsUser) {
        if (events.front()->streamId != r.integrationId) problem(what + ": Created in another stream");
      }
      if (!r.idempotencyKey.empty() && replayable(r)) keyedAcknowledged.push_back(r);
    } else if (r.answered) {
      if (!events.empty()) {
        if (r.replayed) {
          ++tally_.duplicated;
          problem("DUPLICATED: replayed " + what + " appended events");
        } else {
          ++tally_.phantom;
          problem(what + " answered " + std::to_string(r.status) + " but appended events");
        }
      }
    } else if (r.replayOf) {
      // A replay whose answer was cut: it must have appended nothing, and is sent once more.
      if (!events.empty()) {
        ++tally_.duplicated;
        problem("DUPLICATED: replay " + what + " (cut) appended events");
      }
      retries_.push_back(r);
      ++tally_.idempotentRetries;
    } else if (events.empty()) {
      ++tally_.uncertainAbsent;
      if (!r.idempotencyKey.empty()) {
        retries_.push_back(r);  // not committed: the retry is a fresh command
        ++tally_.idempotentRetries;
      }
    } else {
      ++tally_.uncertainCommitted;
      std::string shape = shapeProblem(r, events, &duplicated);
      if (duplicated) ++tally_.duplicated;
      if (!shape.empty()) {
        problem(what + " (cut) wrote unexpected events: " + shape);
        continue;
      }
      applyCommitted(r, events);
      if (!r.idempotencyKey.empty() && replayable(r)) {
        Request retry = r;
        retry.replayOf = successStatus(r.kind);
        if (retry.kind == Kind::create || retry.kind == Kind::createAsUser) {
          retry.integrationId = events.front()->streamId;
        }
        retries_.push_back(retry);
        ++tally_.idempotentRetries;
      }
    }
  }
  // One acknowledged keyed command of the cycle is sent again after the restart: the key survives
  // the kill, so it must replay.
  if (!keyedAcknowledged.empty()) {
    Request retry = pick(keyedAcknowledged);
    retry.replayOf = retry.status;
    retries_.push_back(retry);
    ++tally_.idempotentRetries;
  }
}

void Worker::applyCommitted(const Request& r, const std::vector<const LoggedEvent*>& events) {
  const LoggedEvent& e = *events.front();
  const std::string& id = e.streamId;
  switch (r.kind) {
    case Kind::create:
    case Kind::createAsUser:
      model_.created(id, account_, r.scopes, ModelToken{e.tokenId, "", id, cycle_});
      live_.push_back(id);
      break;
    case Kind::patch:
      model_.scopesUpdated(id, r.scopes);
      break;
    case Kind::rotateLater:
    case Kind::rotateNow:
      model_.rotated(id, ModelToken{e.tokenId, "", id, cycle_}, e.expireNow, e.at);
      break;
    case Kind::cancel:
      model_.cancelled(id);
      break;
    case Kind::expireNow:
      model_.expiredNow(id);
      break;
    case Kind::remove:
      model_.deleted(id);
      live_.erase(std::remove(live_.begin(), live_.end(), id), live_.end());
      break;
    case Kind::permission:
      permission_[e.userId] = e.allowed;
      return;
  }
  version_[id] = events.back()->streamVersion;
  versionAt_[id] = events.back()->at;
}

}  // namespace pitlog::campaigns::crash
