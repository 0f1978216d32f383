#pragma once
// The token view in memory: digest -> what verification needs. Verification never touches
// RocksDB; it reads this index, which is loaded from the tokens family at start and updated by
// the writer after each durable commit.
//
// Layout, chosen for the hot path (bench/verify_inproc) and for memory: an open-addressing table
// with linear probing keyed by the digest itself (already uniformly random, so its first 8 bytes
// are the hash), one 64-byte slot (a cache line) per probe, no per-entry allocation. The table's
// size is not a power of two: a hash is mapped onto it by multiplication (Lemire's "fastrange"),
// so it can be sized to the load factor it needs (at most 0.75, grown by half) instead of doubling,
// which at a million tokens would leave half of it empty. What a token grants (account,
// integration, scopes) lives in a Grant shared by the tokens of one integration, and scope sets
// are interned, so a live token costs under 300 bytes (bench/log_bench reports it).
//
// Thread-safety: find() and the other readers may run on any number of threads at once; apply()
// and load() are called by the single writer. A shared mutex separates them.
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

// An interned set of scopes: sorted, and pre-joined with spaces as introspection answers.
struct ScopeSet {
  std::vector<std::string> scopes;
  std::string text;
};

// What a token grants; shared by the index entries of one integration's tokens. Built for
// memory (a million live integrations hold a million of these): the account's id and the scope
// set are interned and shared, and the integration's id is kept inline when it fits (pitd's ids
// are 28 characters), so a grant is one allocation of under 100 bytes.
class Grant {
 public:
  Grant(std::shared_ptr<const std::string> account, std::string_view integrationId,
        std::shared_ptr<const ScopeSet> scopes);
  const std::string& accountId() const { return *account_; }
  // NUL-terminated behind its end (integrationId().data()[size] == '\0'), as kj::StringPtr and
  // capnp::Text::Reader require.
  std::string_view integrationId() const {
    return heap_ ? std::string_view(heap_.get(), size_) : std::string_view(inline_, size_);
  }
  const std::vector<std::string>& scopes() const { return scopes_->scopes; }  // sorted
  const std::string& scopeText() const { return scopes_->text; }  // scopes joined by spaces
  bool hasScope(std::string_view scope) const;

 private:
  static constexpr size_t kInlineId = 30;  // characters, before the NUL
  std::shared_ptr<const std::string> account_;
  std::shared_ptr<const ScopeSet> scopes_;
  std::unique_ptr<char[]> heap_;  // the id, when longer than kInlineId
  uint8_t size_ = 0;              // ids are at most 64 characters (validate.h)
  char inline_[kInlineId + 1];
};

struct TokenSlot {
  std::shared_ptr<const Grant> grant;
  TokenState state = TokenState::current;
  UnixMillis issuedAt = 0;
  std::optional<UnixMillis> expiresAt;
};

class TokenIndex {
 public:
  TokenIndex();

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

  // Bytes held by the table and the grants (for metrics and the memory benchmark).
  size_t tableBytes() const;

 private:
  // 64 bytes, aligned to a cache line: issuedAt takes 48 bits (milliseconds until the year 6429)
  // so that the state and the deadline flag fit beside it.
  struct alignas(64) Slot {
    Digest digest{};
    std::shared_ptr<const Grant> grant;  // null: the slot is empty
    int64_t issuedAt : 48 = 0;
    uint64_t previous : 1 = 0;     // TokenState::previous
    uint64_t hasDeadline : 1 = 0;
    UnixMillis expiresAt = 0;
  };
  static_assert(sizeof(Slot) == 64, "one cache line per probe");
  using GrantCache = std::unordered_map<std::string, std::shared_ptr<const Grant>>;

  // REQUIRES: mu_ held exclusively, for all five.
  // With grants, tokens of one integration put together share one Grant.
  void put(const Digest& digest, const TokenEntry& entry, GrantCache* grants);
  void erase(const Digest& digest);
  void reserve(size_t entries);
  void rehash(size_t capacity);
  std::shared_ptr<const ScopeSet> intern(const std::vector<std::string>& scopes);
  std::shared_ptr<const std::string> internAccount(const std::string& accountId);

  size_t home(const Digest& d) const {
    return static_cast<size_t>((static_cast<unsigned __int128>(events::DigestHash{}(d)) *
                                table_.size()) >> 64);
  }
  size_t next(size_t i) const { return i + 1 == table_.size() ? 0 : i + 1; }
  // The slot holding digest, or the empty slot where it would go.
  size_t probe(const Digest& d) const;

  mutable std::shared_mutex mu_;
  std::vector<Slot> table_;  // load factor kept at or below 0.75
  size_t used_ = 0;
  std::multiset<std::pair<UnixMillis, std::string>> deadlines_;
  std::unordered_map<std::string, std::shared_ptr<const ScopeSet>> scopeSets_;
  std::unordered_map<std::string, std::shared_ptr<const std::string>> accounts_;
};

}  // namespace pitlog::projections
