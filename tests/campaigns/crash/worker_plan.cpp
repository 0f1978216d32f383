// Choosing the next command for a worker, and the reads it checks on the way.
#include "worker.h"

#include <algorithm>
#include <stdexcept>

#include "support/http_client.h"
#include "support/json.h"
#include "worker_support.h"

namespace pitlog::campaigns::crash {

namespace {

using testing::Json;
using testing::redacted;

const std::vector<std::string> kScopePool{
    "businesses.readonly", "calendars.readonly", "calendars.write",   "contacts.readonly",
    "contacts.write",      "conversations.readonly", "conversations.write", "courses.readonly"};


}  // namespace

std::vector<std::string> Worker::randomScopes() {
  std::vector<std::string> out;
  int n = std::uniform_int_distribution<int>(1, 3)(rng_);
  for (int i = 0; i < n; ++i) out.push_back(pick(kScopePool));  // duplicates collapse
  return out;
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
  ++tally_.introspectionsChecked;
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
