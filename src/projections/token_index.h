#pragma once
// The token view in memory: digest -> what verification needs. Verification never touches
// RocksDB; it reads this index, which is loaded from the tokens family at start and updated by
// the writer after each durable commit.
//
// Thread-safety: find() and the other readers may run on any number of threads at once; apply()
// is called by the single writer. A shared mutex separates them.
#include <memory>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "events/store.h"
#include "projections/projector.h"

namespace pitlog::projections {

// What a token grants; shared by the index entries of one integration's tokens.
struct Grant {
  std::string accountId;
  std::string integrationId;
  std::vector<std::string> scopes;  // sorted
  std::string scopeText;            // scopes joined by spaces, as introspection answers
  bool hasScope(std::string_view scope) const;
};

struct TokenSlot {
  std::shared_ptr<const Grant> grant;
  TokenState state = TokenState::current;
  UnixMillis issuedAt = 0;
  std::optional<UnixMillis> expiresAt;
};

class TokenIndex {
 public:
  // Replaces the contents with the tokens family of the store.
  void load(const events::Store& store);

  std::optional<TokenSlot> find(const Digest& digest) const;
  size_t size() const;

  // Mirrors token-family changes of a committed batch.
  void apply(const std::vector<TokenChange>& changes);

  // Integrations with a previous token whose deadline is at or before `now`, earliest first.
  std::vector<std::string> dueIntegrations(UnixMillis now) const;
  // The earliest pending deadline, if any.
  std::optional<UnixMillis> nextDeadline() const;

 private:
  void put(const Digest& digest, const TokenEntry& entry);  // REQUIRES: mu_ held exclusively
  void erase(const Digest& digest);                          // REQUIRES: mu_ held exclusively

  mutable std::shared_mutex mu_;
  std::unordered_map<Digest, TokenSlot, events::DigestHash> slots_;
  std::multiset<std::pair<UnixMillis, std::string>> deadlines_;
};

}  // namespace pitlog::projections
