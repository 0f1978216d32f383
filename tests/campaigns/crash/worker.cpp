#include "worker.h"

#include <algorithm>
#include <stdexcept>

#include "support/http_client.h"
#include "support/json.h"
#include "worker_support.h"

namespace pitlog::campaigns::crash {

using testing::Json;
using testing::redacted;

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
  introspectionsChecked += o.introspectionsChecked;
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
  if (response.header("x-request-id") != r.requestId) {
    wrong(r, "X-Request-Id is not echoed", response.body);
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

}  // namespace pitlog::campaigns::crash
