#include "fleet.h"

#include <algorithm>
#include <thread>

#include "support/json.h"

namespace pitlog::campaigns::soak {

namespace {

using testing::Json;

const std::vector<std::string> kScopePool{
    "businesses.readonly", "calendars.readonly", "calendars.write",        "contacts.readonly",
    "contacts.write",      "conversations.readonly", "conversations.write", "courses.readonly"};

std::vector<std::string> sortedUnique(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

}  // namespace

void Fleet::problem(const std::string& what) {
  std::lock_guard lock(problemsMu_);
  if (problems_.size() < 30) problems_.push_back(what);
}

std::vector<std::string> Fleet::problems() const {
  std::lock_guard lock(problemsMu_);
  return problems_;
}

size_t Fleet::liveIntegrations() const {
  return static_cast<size_t>(std::count_if(integrations_.begin(), integrations_.end(),
                                           [](const Integration& i) { return !i.deleted; }));
}

std::vector<std::string> Fleet::randomScopes(std::mt19937_64& rng) const {
  std::vector<std::string> out;
  int n = std::uniform_int_distribution<int>(1, 3)(rng);
  for (int k = 0; k < n; ++k) {
    out.push_back(kScopePool[std::uniform_int_distribution<size_t>(0, kScopePool.size() - 1)(rng)]);
  }
  return out;
}

ExpectedIntrospection Fleet::activeFor(const Integration& i) const {
  return {true, sortedUnique(i.scopes), i.account, i.id};
}

std::optional<testing::HttpResponse> Fleet::command(const std::string& method,
                                                    const std::string& path,
                                                    const std::string& body, int expected) {
  ++commands_;
  try {
    auto r = testing::httpRequest(
        port_, method, path, requestHeaders(key_, Actor{"alice", "admin"}, "", !body.empty()), body);
    if (r.status == expected) return r;
    problem(method + " " + path + " answered " + std::to_string(r.status) + ": " +
            testing::redacted(r.body.substr(0, 400)));
  } catch (const std::exception& e) {
    problem(method + " " + path + " failed: " + e.what());
  }
  ++errors_;
  return std::nullopt;
}

bool Fleet::create(const std::string& account, std::mt19937_64& rng, Integration* out) {
  out->account = account;
  out->scopes = randomScopes(rng);
  auto r = command("POST", "/v1/accounts/" + account + "/integrations",
                   "{\"name\":\"soak\",\"scopes\":" + jsonStrings(out->scopes) + "}", 201);
  if (!r) return false;
  auto j = Json::parse(r->body);
  out->id = j["integration"]["id"].str();
  out->current = book_.add(j["token"].str(), activeFor(*out));
  return true;
}

void Fleet::rotate(Integration& i, bool now) {
  book_.begin(i.current);
  if (i.previous) book_.begin(*i.previous);
  auto r = command("POST", "/v1/accounts/" + i.account + "/integrations/" + i.id + "/rotate",
                   now ? "{\"expire\":\"now\"}" : "{\"expire\":\"later\"}", 200);
  if (!r) return;  // the entries stay in flight: never checked again
  const size_t fresh = book_.add(Json::parse(r->body)["token"].str(), activeFor(i));
  if (now) {
    book_.finish(i.current, {});
    if (i.previous) book_.finish(*i.previous, {});
    i.previous.reset();
  } else {
    // Rotating later is only asked with no window open; the window (1 h) outlasts the soak.
    book_.finish(i.current, activeFor(i));
    i.previous = i.current;
  }
  i.current = fresh;
}

void Fleet::expireNow(Integration& i) {
  book_.begin(*i.previous);
  auto r = command("POST",
                   "/v1/accounts/" + i.account + "/integrations/" + i.id + "/rotation/expire-now",
                   "", 200);
  if (!r) return;
  book_.finish(*i.previous, {});
  i.previous.reset();
}

void Fleet::patch(Integration& i, std::mt19937_64& rng) {
  std::vector<std::string> scopes = randomScopes(rng);
  book_.begin(i.current);
  if (i.previous) book_.begin(*i.previous);
  auto r = command("PATCH", "/v1/accounts/" + i.account + "/integrations/" + i.id,
                   "{\"scopes\":" + jsonStrings(scopes) + "}", 200);
  if (!r) return;
  i.scopes = scopes;
  book_.finish(i.current, activeFor(i));
  if (i.previous) book_.finish(*i.previous, activeFor(i));
}

void Fleet::remove(Integration& i) {
  book_.begin(i.current);
  if (i.previous) book_.begin(*i.previous);
  auto r = command("DELETE", "/v1/accounts/" + i.account + "/integrations/" + i.id, "", 204);
  if (!r) return;
  book_.finish(i.current, {});
  if (i.previous) book_.finish(*i.previous, {});
  i.previous.reset();
  i.deleted = true;
}

void Fleet::populate(int count, int threads) {
  std::vector<std::vector<Integration>> made(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t]() {
      std::mt19937_64 rng(static_cast<uint64_t>(t) * 7919 + 1);
      for (int n = t; n < count; n += threads) {
        Integration i;
        if (create("soak-" + std::to_string(n % accounts_), rng, &i)) made[t].push_back(i);
      }
      for (size_t k = 0; k < made[t].size(); ++k) {
        Integration& i = made[t][k];
        switch (k % 20) {
          case 0: case 1: rotate(i, true); break;
          case 2: case 3: rotate(i, false); break;
          case 4: remove(i); break;
          default: break;
        }
      }
    });
  }
  for (auto& t : pool) t.join();
  for (auto& m : made) integrations_.insert(integrations_.end(), m.begin(), m.end());
}

void Fleet::randomCommand(std::mt19937_64& rng) {
  int roll = std::uniform_int_distribution<int>(0, 99)(rng);
  std::vector<Integration*> live;
  for (auto& i : integrations_) {
    if (!i.deleted) live.push_back(&i);
  }
  if (roll < 25 || live.empty()) {
    Integration i;
    int account = std::uniform_int_distribution<int>(0, accounts_ - 1)(rng);
    if (create("soak-" + std::to_string(account), rng, &i)) integrations_.push_back(i);
    return;
  }
  Integration& i = *live[std::uniform_int_distribution<size_t>(0, live.size() - 1)(rng)];
  if (roll < 55) {
    bool now = std::uniform_int_distribution<int>(0, 1)(rng) == 1;
    if (i.previous && !now) {
      expireNow(i);
    } else {
      rotate(i, now || i.previous.has_value());
    }
  } else if (roll < 80) {
    patch(i, rng);
  } else {
    remove(i);
  }
}

}  // namespace pitlog::campaigns::soak
