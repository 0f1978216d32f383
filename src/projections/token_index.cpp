#include "projections/token_index.h"

#include <algorithm>
#include <mutex>

namespace pitlog::projections {

bool Grant::hasScope(std::string_view scope) const {
  return std::binary_search(scopes.begin(), scopes.end(), scope);
}

static std::shared_ptr<const Grant> makeGrant(const TokenEntry& e) {
  auto g = std::make_shared<Grant>();
  g->accountId = e.accountId;
  g->integrationId = e.integrationId;
  g->scopes = e.scopes;
  for (const auto& s : e.scopes) {
    if (!g->scopeText.empty()) g->scopeText.push_back(' ');
    g->scopeText += s;
  }
  return g;
}

void TokenIndex::load(const events::Store& store) {
  std::unique_lock lock(mu_);
  slots_.clear();
  deadlines_.clear();
  store.scanPrefix(Family::tokens, {}, [&](std::string_view key, std::string_view value) {
    auto digest = events::digestFromBytes(key);
    auto entry = decodeTokenEntry(value);
    if (!digest || !entry) {
      throw events::StoreError("tokens family holds a damaged entry; run pit-replay rebuild");
    }
    put(*digest, *entry);
    return true;
  });
}

std::optional<TokenSlot> TokenIndex::find(const Digest& digest) const {
  std::shared_lock lock(mu_);
  auto it = slots_.find(digest);
  if (it == slots_.end()) return std::nullopt;
  return it->second;
}

size_t TokenIndex::size() const {
  std::shared_lock lock(mu_);
  return slots_.size();
}

void TokenIndex::apply(const std::vector<TokenChange>& changes) {
  std::unique_lock lock(mu_);
  for (const auto& c : changes) {
    if (c.entry) {
      put(c.digest, *c.entry);
    } else {
      erase(c.digest);
    }
  }
}

void TokenIndex::put(const Digest& digest, const TokenEntry& entry) {
  erase(digest);
  slots_[digest] = TokenSlot{makeGrant(entry), entry.state, entry.issuedAt, entry.expiresAt};
  if (entry.state == TokenState::previous && entry.expiresAt) {
    deadlines_.emplace(*entry.expiresAt, entry.integrationId);
  }
}

void TokenIndex::erase(const Digest& digest) {
  auto it = slots_.find(digest);
  if (it == slots_.end()) return;
  if (it->second.state == TokenState::previous && it->second.expiresAt) {
    auto d = deadlines_.find({*it->second.expiresAt, it->second.grant->integrationId});
    if (d != deadlines_.end()) deadlines_.erase(d);
  }
  slots_.erase(it);
}

std::vector<std::string> TokenIndex::dueIntegrations(UnixMillis now) const {
  std::shared_lock lock(mu_);
  std::vector<std::string> out;
  for (const auto& [deadline, id] : deadlines_) {
    if (deadline > now) break;
    if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  }
  return out;
}

std::optional<UnixMillis> TokenIndex::nextDeadline() const {
  std::shared_lock lock(mu_);
  if (deadlines_.empty()) return std::nullopt;
  return deadlines_.begin()->first;
}

}  // namespace pitlog::projections
