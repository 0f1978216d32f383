#include "projections/token_index.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <mutex>

namespace pitlog::projections {

Grant::Grant(std::shared_ptr<const std::string> account, std::string_view integrationId,
             std::shared_ptr<const ScopeSet> scopes)
    : account_(std::move(account)), scopes_(std::move(scopes)) {
  // Ids are validated to 64 characters before they reach a view (validate.h).
  if (integrationId.size() > 255) throw std::length_error("an integration id over 255 characters");
  size_ = static_cast<uint8_t>(integrationId.size());
  char* to = inline_;
  if (integrationId.size() > kInlineId) {
    heap_ = std::make_unique<char[]>(size_ + 1);
    to = heap_.get();
  }
  std::memcpy(to, integrationId.data(), size_);
  to[size_] = '\0';
}

bool Grant::hasScope(std::string_view scope) const {
  return std::binary_search(scopes().begin(), scopes().end(), scope);
}

TokenIndex::TokenIndex() : table_(1024) {}

namespace {

// The interned value for `key`, made by `make` when missing. Values no grant uses any more are
// dropped now and then, so churn cannot grow the map. Erasing other elements leaves the new
// slot valid; it is null, so it is not erased itself. (No retry: when every value is still in
// use nothing is erased, and a retry would recurse forever.)
template <typename T, typename Make>
std::shared_ptr<const T> internIn(std::unordered_map<std::string, std::shared_ptr<const T>>& map,
                                  const std::string& key, Make make) {
  auto& slot = map[key];
  if (!slot) {
    if (map.size() > 1024 && map.size() % 1024 == 0) {
      std::erase_if(map, [](const auto& kv) { return kv.second && kv.second.use_count() == 1; });
    }
    slot = make();
  }
  return slot;
}

}  // namespace

std::shared_ptr<const ScopeSet> TokenIndex::intern(const std::vector<std::string>& scopes) {
  std::string text;
  for (const auto& s : scopes) {
    if (!text.empty()) text.push_back(' ');
    text += s;
  }
  return internIn(scopeSets_, text,
                  [&] { return std::make_shared<const ScopeSet>(ScopeSet{scopes, text}); });
}

std::shared_ptr<const std::string> TokenIndex::internAccount(const std::string& accountId) {
  return internIn(accounts_, accountId, [&] { return std::make_shared<const std::string>(accountId); });
}

size_t TokenIndex::probe(const Digest& d) const {
  for (size_t i = home(d);; i = next(i)) {
    const Slot& s = table_[i];
    if (!s.grant || s.digest == d) return i;
  }
}

void TokenIndex::reserve(size_t entries) {
  if (entries * 4 <= table_.size() * 3) return;
  // Grown by half (not doubled) past the current need: appends stay amortised O(1), and a large
  // index never sits at a load of 0.375 as a doubled one can.
  rehash(std::max(table_.size() + table_.size() / 2, entries * 4 / 3 + 1));
}

void TokenIndex::rehash(size_t capacity) {
  std::vector<Slot> old(std::max<size_t>(capacity, 1024));
  old.swap(table_);
  for (auto& s : old) {
    if (s.grant) table_[probe(s.digest)] = std::move(s);
  }
}

void TokenIndex::load(const events::Store& store) {
  std::unique_lock lock(mu_);
  table_.assign(1024, Slot{});
  used_ = 0;
  deadlines_.clear();
  scopeSets_.clear();
  accounts_.clear();
  // Presize from RocksDB's estimate so that loading a large view never rehashes.
  reserve(static_cast<size_t>(store.estimateKeys(Family::tokens)));
  // The family is in digest order, so an integration's tokens are not adjacent: no grant cache.
  store.scanPrefix(Family::tokens, {}, [&](std::string_view key, std::string_view value) {
    auto digest = events::digestFromBytes(key);
    auto entry = decodeTokenEntry(value);
    if (!digest || !entry) {
      throw events::StoreError("tokens family holds a damaged entry; run pit-replay rebuild");
    }
    put(*digest, *entry, nullptr);
    return true;
  });
  // RocksDB's key count is an estimate: size the table to what was loaded, at a load of 0.7, so
  // memory follows the live tokens and the next tokens have room before the table grows.
  if (used_ * 10 / 7 + 1 != table_.size()) rehash(used_ * 10 / 7 + 1);
}

std::optional<TokenSlot> TokenIndex::find(const Digest& digest) const {
  std::shared_lock lock(mu_);
  const Slot& s = table_[probe(digest)];
  if (!s.grant) return std::nullopt;
  TokenSlot out{s.grant, s.previous ? TokenState::previous : TokenState::current, s.issuedAt,
                std::nullopt};
  if (s.hasDeadline) out.expiresAt = s.expiresAt;
  return out;
}

size_t TokenIndex::size() const {
  std::shared_lock lock(mu_);
  return used_;
}

size_t TokenIndex::tableBytes() const {
  std::shared_lock lock(mu_);
  return table_.capacity() * sizeof(Slot);
}

void TokenIndex::apply(const std::vector<TokenChange>& changes) {
  std::unique_lock lock(mu_);
  GrantCache grants;  // tokens of one integration changed together share one grant
  for (const auto& c : changes) {
    if (c.entry) {
      put(c.digest, *c.entry, &grants);
    } else {
      erase(c.digest);
    }
  }
}

void TokenIndex::put(const Digest& digest, const TokenEntry& entry, GrantCache* grants) {
  erase(digest);
  reserve(used_ + 1);
  std::shared_ptr<const Grant> fresh;
  auto& grant = grants ? (*grants)[entry.integrationId] : fresh;
  if (!grant || grant->accountId() != entry.accountId || grant->scopes() != entry.scopes) {
    grant = std::make_shared<const Grant>(internAccount(entry.accountId), entry.integrationId,
                                          intern(entry.scopes));
  }
  Slot& s = table_[probe(digest)];
  s.digest = digest;
  s.grant = grant;
  s.previous = entry.state == TokenState::previous;
  s.issuedAt = entry.issuedAt;
  s.hasDeadline = entry.expiresAt.has_value();
  s.expiresAt = entry.expiresAt.value_or(0);
  ++used_;
  if (entry.state == TokenState::previous && entry.expiresAt) {
    deadlines_.emplace(*entry.expiresAt, entry.integrationId);
  }
}

void TokenIndex::erase(const Digest& digest) {
  size_t i = probe(digest);
  if (!table_[i].grant) return;
  Slot& victim = table_[i];
  if (victim.previous && victim.hasDeadline) {
    auto d = deadlines_.find({victim.expiresAt, std::string(victim.grant->integrationId())});
    if (d != deadlines_.end()) deadlines_.erase(d);
  }
  victim = Slot{};
  --used_;
  // Backward-shift deletion: move later members of the probe run into the hole, so lookups
  // never need tombstones.
  for (size_t hole = i, j = next(i); table_[j].grant; j = next(j)) {
    size_t want = home(table_[j].digest);
    // Move j into the hole when its home is not in the cyclic range (hole, j].
    bool inRange = hole <= j ? (want > hole && want <= j) : (want > hole || want <= j);
    if (!inRange) {
      table_[hole] = std::move(table_[j]);
      table_[j] = Slot{};
      hole = j;
    }
  }
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
