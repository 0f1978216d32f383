#include "model.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <stdexcept>

namespace pitlog::campaigns::crash {

Millis wallMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<Millis> parseRfc3339(const std::string& text) {
  std::tm tm{};
  int ms = 0;
  char z = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &tm.tm_year, &tm.tm_mon,
                  &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &z) != 8 ||
      z != 'Z') {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<Millis>(::timegm(&tm)) * 1000 + ms;
}

std::vector<std::string> normalizedScopes(std::vector<std::string> scopes) {
  std::sort(scopes.begin(), scopes.end());
  scopes.erase(std::unique(scopes.begin(), scopes.end()), scopes.end());
  return scopes;
}

Model::Integration& Model::at(const std::string& id) {
  auto it = integrations_.find(id);
  if (it == integrations_.end()) throw std::logic_error("model: unknown integration " + id);
  return it->second;
}

const Model::Integration& Model::at(const std::string& id) const {
  auto it = integrations_.find(id);
  if (it == integrations_.end()) throw std::logic_error("model: unknown integration " + id);
  return it->second;
}

void Model::created(const std::string& id, const std::string& account,
                    std::vector<std::string> scopes, const ModelToken& token) {
  std::lock_guard lock(mu_);
  Integration& i = integrations_[id];
  i.account = account;
  i.scopes = normalizedScopes(std::move(scopes));
  i.current = token.tokenId;
  tokens_[token.tokenId] = token;
}

void Model::scopesUpdated(const std::string& id, std::vector<std::string> scopes) {
  std::lock_guard lock(mu_);
  at(id).scopes = normalizedScopes(std::move(scopes));
}

void Model::rotated(const std::string& id, const ModelToken& token, bool expireNow, Millis when) {
  std::lock_guard lock(mu_);
  Integration& i = at(id);
  if (expireNow) {
    i.previous.clear();
  } else {
    // A previous token whose window already elapsed is simply replaced: it was invalid anyway.
    i.previous = i.current;
    i.previousDeadline = when + windowMs_;
    i.deadlines.push_back(i.previousDeadline);
  }
  i.current = token.tokenId;
  tokens_[token.tokenId] = token;
}

void Model::cancelled(const std::string& id) {
  std::lock_guard lock(mu_);
  Integration& i = at(id);
  if (i.previous.empty()) throw std::logic_error("model: cancel without a pending rotation");
  i.current = i.previous;
  i.previous.clear();
}

void Model::expiredNow(const std::string& id) {
  std::lock_guard lock(mu_);
  at(id).previous.clear();
}

void Model::deleted(const std::string& id) {
  std::lock_guard lock(mu_);
  at(id).deleted = true;
}

Truth Model::rotationPending(const std::string& id, Millis from, Millis to) const {
  std::lock_guard lock(mu_);
  const Integration& i = at(id);
  if (i.deleted || i.previous.empty()) return Truth::no;
  // Valid strictly before the deadline: pending at t iff t < deadline.
  if (i.previousDeadline > to + marginMs_) return Truth::yes;
  if (i.previousDeadline <= from - marginMs_) return Truth::no;
  return Truth::ambiguous;
}

bool Model::deadlinePassedSince(const std::string& id, Millis since, Millis to) const {
  std::lock_guard lock(mu_);
  const Integration& i = at(id);
  // The scheduler writes a window's Expired some time after its deadline (its period, a busy
  // writer, or the catch-up after a restart when the kill came first), so a version learnt a
  // little after a deadline may still be moved on by it.
  constexpr Millis kSchedulerLagMs = 5000;
  return std::any_of(i.deadlines.begin(), i.deadlines.end(), [&](Millis d) {
    return d >= since - kSchedulerLagMs && d <= to + marginMs_;
  });
}

std::optional<ExpectedIntrospection> Model::expected(const std::string& tokenId, Millis from,
                                                     Millis to) const {
  std::lock_guard lock(mu_);
  ExpectedIntrospection inactive;
  auto t = tokens_.find(tokenId);
  if (t == tokens_.end()) return inactive;
  const Integration& i = at(t->second.integrationId);
  ExpectedIntrospection active{true, i.scopes, i.account, t->second.integrationId};
  if (i.deleted) return inactive;
  if (i.current == tokenId) return active;
  if (i.previous == tokenId) {
    if (i.previousDeadline > to + marginMs_) return active;
    if (i.previousDeadline <= from - marginMs_) return inactive;
    return std::nullopt;
  }
  return inactive;
}

std::vector<std::string> Model::scopesOf(const std::string& id) const {
  std::lock_guard lock(mu_);
  return at(id).scopes;
}

std::string Model::currentTokenId(const std::string& id) const {
  std::lock_guard lock(mu_);
  return at(id).current;
}

std::vector<ModelToken> Model::knownTokens() const {
  std::lock_guard lock(mu_);
  std::vector<ModelToken> out;
  for (const auto& [id, t] : tokens_) {
    if (!t.plaintext.empty()) out.push_back(t);
  }
  return out;
}

size_t Model::tokenCount() const {
  std::lock_guard lock(mu_);
  return tokens_.size();
}

}  // namespace pitlog::campaigns::crash
