#include "worker.h"

#include <algorithm>
#include <stdexcept>

#include "support/http_client.h"
#include "support/json.h"

namespace pitlog::campaigns::crash {

namespace {

using testing::Json;
using testing::redacted;

const std::vector<std::string> kScopePool{
    "businesses.readonly", "calendars.readonly", "calendars.write",   "contacts.readonly",
    "contacts.write",      "conversations.readonly", "conversations.write", "courses.readonly"};

const char* kindName(Kind k) {
  switch (k) {
    case Kind::create: return "create";
    case Kind::createAsUser: return "create-as-user";
    case Kind::patch: return "patch";
    case Kind::rotateLater: return "rotate-later";
    case Kind::rotateNow: return "rotate-now";
    case Kind::cancel: return "cancel";
    case Kind::expireNow: return "expire-now";
    case Kind::remove: return "delete";
    case Kind::permission: return "permission";
  }
  return "?";
}

int successStatus(Kind k) {
  if (k == Kind::create || k == Kind::createAsUser) return 201;
  if (k == Kind::remove) return 204;
  return 200;
}

bool isSuccess(int status) { return status >= 200 && status < 300; }

// The support client returns what arrived when the connection ends inside a body; a body cut by
// the kill is no answer at all, so it counts as a failed request (uncertain, resolved from the log).
testing::HttpResponse completeResponse(testing::HttpResponse r) {
  if (r.hasContentLength && r.body.size() != std::stoul(r.header("content-length"))) {
    throw std::runtime_error("the connection ended inside the body");
  }
  return r;
}

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

// The token whose state is `state` in an integration answer, or an absent Json.
Json tokenInState(const Json& integration, const std::string& state) {
  auto tokens = integration["tokens"];
  for (size_t i = 0; tokens.isArray() && i < tokens.size(); ++i) {
    if (tokens[i]["state"].isString() && tokens[i]["state"].str() == state) return tokens[i];
  }
  return Json();
}

}  // namespace

void Tally::add(const Tally& o) {
  commandsSent += o.commandsSent;
  acknowledged += o.acknowledged;
  refused += o.refused;
  uncertainCommitted += o.uncertainCommitted;
  uncertainAbsent += o.uncertainAbsent;
  lost += o.lost;
  duplicated += o.duplicated;
  phantom += o.phantom;
  wrongAnswers += o.wrongAnswers;
  reads += o.reads;
  readsSkippedNearDeadline += o.readsSkippedNearDeadline;
  idempotentRetries += o.idempotentRetries;
  idempotentReplays += o.idempotentReplays;
}

Worker::Worker(int index, std::string account, Model& model, uint64_t seed)
    : index_(index),
      account_(std::move(account)),
      grantedUser_("w" + std::to_string(index) + "-user"),
      otherUser_("w" + std::to_string(index) + "-other"),
      model_(model),
      rng_(seed) {
  permission_[grantedUser_] = std::nullopt;
  permission_[otherUser_] = std::nullopt;
}

void Worker::problem(const std::string& what) {
  if (problems_.size() < 50) problems_.push_back("worker " + std::to_string(index_) + ": " + what);
}

void Worker::wrong(const Request& r, const std::string& what, const std::string& body) {
  ++tally_.wrongAnswers;
  problem(std::string(kindName(r.kind)) + " " + r.requestId + " on " + r.integrationId + ": " +
          what + "; got " + std::to_string(r.status) + " " + redacted(body.substr(0, 600)));
}

std::optional<Actor> Worker::actorFor(const Request& r) const {
  if (r.kind == Kind::createAsUser) return Actor{grantedUser_, "user"};
  return Actor{"alice", "admin"};
}

std::vector<std::string> Worker::randomScopes() {
  std::vector<std::string> out;
  int n = std::uniform_int_distribution<int>(1, 3)(rng_);
  for (int i = 0; i < n; ++i) out.push_back(pick(kScopePool));  // duplicates collapse
  return out;
}

void Worker::runCycle(int cycle, int port, const std::string& serviceKey,
                      const std::atomic<bool>& killed) {
  cycle_ = cycle;
  port_ = port;
  key_ = serviceKey;
  killed_ = &killed;
  nextRequest_ = 0;
  requests_.clear();
  std::vector<Request> retries;
  retries.swap(retries_);
  for (auto& r : retries) {
    if (!issue(r)) return;
  }
  try {
    while (step()) {
    }
  } catch (const std::exception& e) {
    problem(std::string("a read's answer cannot be read: ") + e.what());
  }
}

bool Worker::issue(Request& r) {
  r.requestId = "c" + std::to_string(cycle_) + "-w" + std::to_string(index_) + "-" +
                std::to_string(nextRequest_++);
  Headers extra;
  if (!r.ifMatch.empty()) extra.emplace_back("If-Match", r.ifMatch);
  if (!r.idempotencyKey.empty()) extra.emplace_back("Idempotency-Key", r.idempotencyKey);
  Headers headers = requestHeaders(key_, actorFor(r), r.requestId, !r.body.empty(), extra);
  r.answered = false;
  r.t0 = wallMillis();
  ++tally_.commandsSent;
  testing::HttpResponse response;
  try {
    response = completeResponse(testing::httpRequest(port_, r.method, r.path, headers, r.body));
  } catch (const std::exception& e) {
    r.t1 = wallMillis();
    if (!killed_->load()) problem("request " + r.requestId + " failed before the kill: " + e.what());
    requests_.push_back(r);
    return false;
  }
  r.t1 = wallMillis();
  r.answered = true;
  r.status = response.status;
  r.replayed = response.header("idempotent-replayed") == "true";
  if (isSuccess(r.status)) {
    ++tally_.acknowledged;
  } else {
    ++tally_.refused;
  }
  try {
    if (r.replayOf) {
      judgeReplay(r, response.body);
    } else {
      if (r.replayed) wrong(r, "a replay for a request that was never made", response.body);
      judgeAnswer(r, response.body);
    }
  } catch (const std::exception& e) {
    wrong(r, std::string("the answer cannot be read: ") + e.what(), response.body);
  }
  requests_.push_back(r);
  return true;
}

void Worker::judgeReplay(const Request& r, const std::string& body) {
  ++tally_.idempotentReplays;
  if (!r.replayed || r.status != *r.replayOf) {
    wrong(r, "expected a replay of " + std::to_string(*r.replayOf), body);
    return;
  }
  if (r.kind == Kind::create || r.kind == Kind::createAsUser || r.kind == Kind::rotateLater ||
      r.kind == Kind::rotateNow) {
    auto j = Json::parse(body);
    if (!j["token"].isNull()) wrong(r, "a replay must carry \"token\": null", body);
  }
}

void Worker::judgeAnswer(Request& r, const std::string& body) {
  const std::string& id = r.integrationId;
  std::vector<int> allowed;  // acceptable statuses
  switch (r.kind) {
    case Kind::create:
      allowed = {201};
      break;
    case Kind::createAsUser:
      allowed = {permission_[grantedUser_] == true ? 201 : 403};
      break;
    case Kind::patch:
      if (r.ifMatchWrong) {
        allowed = {412};
      } else if (!r.ifMatch.empty() && model_.deadlinePassedSince(id, versionAt_[id], r.t1)) {
        allowed = {200, 412};  // the scheduler's Expired may have moved the version on
      } else {
        allowed = {200};
      }
      break;
    case Kind::rotateLater:
    case Kind::cancel:
    case Kind::expireNow: {
      Truth pending = model_.rotationPending(id, r.t0, r.t1);
      bool wantsPending = r.kind != Kind::rotateLater;
      if (pending == Truth::ambiguous) {
        allowed = {200, 409};
      } else {
        allowed = {(pending == Truth::yes) == wantsPending ? 200 : 409};
      }
      break;
    }
    case Kind::rotateNow:
      allowed = {200};
      break;
    case Kind::remove:
      allowed = {204};
      break;
    case Kind::permission:
      allowed = {200};
      break;
  }
  if (std::find(allowed.begin(), allowed.end(), r.status) == allowed.end()) {
    std::string context = r.ifMatch.empty() ? "" : " (If-Match " + r.ifMatch + ")";
    wrong(r, "the model expected " + std::to_string(allowed.front()) + context, body);
  }
  if (!isSuccess(r.status)) return;

  // Apply what the answer says happened; the model's rules decide what that means for tokens.
  Json j = r.status == 204 ? Json() : Json::parse(body);
  Json integration = j["integration"];
  auto issuedToken = [&]() -> ModelToken {
    ModelToken t;
    if (!j["token"].isString()) {
      wrong(r, "no token in the answer", body);
      return t;
    }
    t.plaintext = j["token"].str();
    t.tokenId = tokenIdOf(t.plaintext);
    t.integrationId = r.integrationId;
    t.cycleIssued = cycle_;
    Json current = tokenInState(integration, "current");
    if (!current.exists() || current["tokenId"].str() != t.tokenId) {
      wrong(r, "the current tokenId is not SHA-256 of the token issued", body);
    }
    tokens_.push_back(t);
    return t;
  };
  if (integration.exists()) {
    version_[integration["id"].str()] = static_cast<int64_t>(integration["version"].num());
    versionAt_[integration["id"].str()] = r.t1;
  }
  switch (r.kind) {
    case Kind::create:
    case Kind::createAsUser: {
      r.integrationId = integration["id"].str();
      model_.created(r.integrationId, account_, r.scopes, issuedToken());
      live_.push_back(r.integrationId);
      break;
    }
    case Kind::patch:
      model_.scopesUpdated(id, r.scopes);
      if (integration["scopes"].strings() != model_.scopesOf(id)) {
        wrong(r, "scopes differ from the ones sent, sorted and collapsed", body);
      }
      break;
    case Kind::rotateLater: {
      auto started = parseRfc3339(integration["rotation"]["startedAt"].isString()
                                      ? integration["rotation"]["startedAt"].str()
                                      : std::string());
      auto expires = parseRfc3339(integration["rotation"]["previousExpiresAt"].isString()
                                      ? integration["rotation"]["previousExpiresAt"].str()
                                      : std::string());
      if (!started || !expires || *expires != *started + model_.windowMs()) {
        wrong(r, "rotation.previousExpiresAt is not startedAt plus the window", body);
      }
      model_.rotated(id, issuedToken(), false, started ? *started : r.t0);
      break;
    }
    case Kind::rotateNow:
      if (!integration["rotation"].isNull() || integration["tokens"].size() != 1) {
        wrong(r, "after rotate now only the new token is listed and no rotation", body);
      }
      model_.rotated(id, issuedToken(), true, r.t0);
      break;
    case Kind::cancel:
      model_.cancelled(id);
      if (tokenInState(integration, "current")["tokenId"].str() != model_.currentTokenId(id)) {
        wrong(r, "cancel did not restore the previous token", body);
      }
      break;
    case Kind::expireNow:
      model_.expiredNow(id);
      break;
    case Kind::remove:
      model_.deleted(id);
      live_.erase(std::remove(live_.begin(), live_.end(), id), live_.end());
      break;
    case Kind::permission:
      if (j["allowed"].isBool() && j["allowed"].boolean() == r.allowed) {
        permission_[r.user] = r.allowed;
      } else {
        wrong(r, "the answer does not repeat the permission set", body);
      }
      break;
  }
}

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

Request Worker::planCreate(bool asUser) {
  Request r;
  r.kind = asUser ? Kind::createAsUser : Kind::create;
  r.method = "POST";
  r.path = "/v1/accounts/" + account_ + "/integrations";
  r.scopes = randomScopes();
  r.body = "{\"name\":" + jsonString("crash w" + std::to_string(index_) + " n" +
                                     std::to_string(nextRequest_)) +
           ",\"scopes\":" + jsonStrings(r.scopes) + "}";
  return r;
}

Request Worker::planOn(Kind kind, const std::string& id) {
  Request r;
  r.kind = kind;
  r.integrationId = id;
  r.method = "POST";
  r.path = "/v1/accounts/" + account_ + "/integrations/" + id;
  switch (kind) {
    case Kind::patch: {
      r.method = "PATCH";
      r.scopes = randomScopes();
      r.body = "{\"scopes\":" + jsonStrings(r.scopes) + ",\"name\":\"renamed " +
               std::to_string(nextRequest_) + "\"}";
      int roll = std::uniform_int_distribution<int>(0, 9)(rng_);
      if (roll < 3) r.ifMatch = "\"" + std::to_string(version_[id]) + "\"";
      if (roll == 3) {
        r.ifMatch = "\"" + std::to_string(version_[id] + 1000) + "\"";
        r.ifMatchWrong = true;
      }
      break;
    }
    case Kind::rotateLater:
      r.path += "/rotate";
      r.body = "{\"expire\":\"later\"}";
      break;
    case Kind::rotateNow:
      r.path += "/rotate";
      r.body = "{\"expire\":\"now\"}";
      break;
    case Kind::cancel:
      r.path += "/rotation/cancel";
      break;
    case Kind::expireNow:
      r.path += "/rotation/expire-now";
      break;
    case Kind::remove:
      r.method = "DELETE";
      break;
    default:
      throw std::logic_error("planOn: not an integration command");
  }
  return r;
}

bool Worker::step() {
  std::uniform_int_distribution<int> percent(0, 99);
  int roll = percent(rng_);
  Request r;
  if (live_.size() < 3 || (roll < 12 && live_.size() < 8)) {
    r = planCreate(false);
  } else if (roll < 16) {
    r = planCreate(true);
  } else if (roll < 22) {
    r.kind = Kind::permission;
    r.method = "PUT";
    r.user = percent(rng_) < 70 ? grantedUser_ : otherUser_;
    r.allowed = percent(rng_) < 50;
    r.path = "/v1/accounts/" + account_ + "/users/" + r.user + "/permission";
    r.body = std::string("{\"allowed\":") + (r.allowed ? "true" : "false") + "}";
  } else if (roll < 34) {
    r = planOn(Kind::patch, pick(live_));
  } else if (roll < 48) {
    r = planOn(Kind::rotateLater, pick(live_));
  } else if (roll < 54) {
    r = planOn(Kind::rotateNow, pick(live_));
  } else if (roll < 62) {
    r = planOn(Kind::cancel, pick(live_));
  } else if (roll < 68) {
    r = planOn(Kind::expireNow, pick(live_));
  } else if (roll < 72 + (live_.size() > 6 ? 6 : 0)) {
    r = planOn(Kind::remove, pick(live_));
  } else if (roll < 90) {
    return readIntrospection();
  } else if (roll < 96) {
    return readIntegration();
  } else {
    return readPermission();
  }
  if (percent(rng_) < 30) {
    r.idempotencyKey = "k-" + std::to_string(cycle_) + "-" + std::to_string(index_) + "-" +
                       std::to_string(nextRequest_);
  }
  return issue(r);
}

bool Worker::readIntrospection() {
  if (tokens_.empty()) return true;
  const ModelToken& t = pick(tokens_);
  Millis t0 = wallMillis();
  testing::HttpResponse response;
  try {
    response = completeResponse(testing::httpRequest(port_, "POST", "/v1/introspect",
                                                     requestHeaders(key_, std::nullopt, "", true),
                                                     introspectBody(t.plaintext)));
  } catch (const std::exception& e) {
    if (!killed_->load()) problem(std::string("introspection failed before the kill: ") + e.what());
    return false;
  }
  Millis t1 = wallMillis();
  ++tally_.reads;
  auto expected = model_.expected(t.tokenId, t0, t1);
  if (!expected) {
    ++tally_.readsSkippedNearDeadline;
    return true;
  }
  std::string diff = response.status == 200 ? compareIntrospection(response.body, *expected)
                                            : "status " + std::to_string(response.status);
  if (!diff.empty()) {
    ++tally_.wrongAnswers;
    problem("introspection of token " + t.tokenId + " (integration " + t.integrationId + "): " + diff);
  }
  return true;
}

bool Worker::readIntegration() {
  if (live_.empty()) return true;
  const std::string& id = pick(live_);
  testing::HttpResponse response;
  try {
    response = completeResponse(
        testing::httpRequest(port_, "GET", "/v1/accounts/" + account_ + "/integrations/" + id,
                             requestHeaders(key_, Actor{"alice", "admin"}, "", false)));
  } catch (const std::exception& e) {
    if (!killed_->load()) problem(std::string("GET integration failed before the kill: ") + e.what());
    return false;
  }
  ++tally_.reads;
  if (response.status != 200) {
    ++tally_.wrongAnswers;
    problem("GET " + id + " answered " + std::to_string(response.status));
    return true;
  }
  auto integration = Json::parse(response.body)["integration"];
  if (integration["scopes"].strings() != model_.scopesOf(id) ||
      tokenInState(integration, "current")["tokenId"].str() != model_.currentTokenId(id)) {
    ++tally_.wrongAnswers;
    problem("GET " + id + " differs from the model (scopes or current token): " +
            redacted(response.body.substr(0, 600)));
  }
  return true;
}

bool Worker::readPermission() {
  const std::string& user = std::uniform_int_distribution<int>(0, 1)(rng_) ? grantedUser_ : otherUser_;
  testing::HttpResponse response;
  try {
    response = completeResponse(testing::httpRequest(
        port_, "GET", "/v1/accounts/" + account_ + "/users/" + user + "/permission",
        requestHeaders(key_, Actor{"alice", "admin"}, "", false)));
  } catch (const std::exception& e) {
    if (!killed_->load()) problem(std::string("GET permission failed before the kill: ") + e.what());
    return false;
  }
  ++tally_.reads;
  auto j = response.status == 200 ? Json::parse(response.body) : Json();
  const std::optional<bool>& want = permission_[user];
  bool ok = response.status == 200 &&
            (want ? j["allowed"].isBool() && j["allowed"].boolean() == *want &&
                        j["source"].str() == (*want ? "grant" : "withdrawal")
                  : j["allowed"].isNull() && j["source"].str() == "default");
  if (!ok) {
    ++tally_.wrongAnswers;
    problem("permission of " + user + " differs from the model: " + std::to_string(response.status) +
            " " + response.body.substr(0, 300));
  }
  return true;
}

}  // namespace pitlog::campaigns::crash
