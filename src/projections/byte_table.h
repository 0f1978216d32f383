#pragma once
// A map from byte strings to byte strings for views held in memory, built for replay's load:
// millions of puts of new, small keys (audit entries, account listings, token entries) and few
// reads. std::unordered_map<std::string, std::string> costs three allocations and a few cache
// misses per put; here keys and values are appended to large blocks (no per-entry allocation)
// and found through an open-addressing index of 16-byte slots (one cache miss per probe run).
//
// An overwritten or erased entry's bytes stay in their block as garbage until the index is next
// rebuilt, which compacts them away once they outweigh the live bytes. Not thread-safe.
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace pitlog::projections {

class ByteTable {
 public:
  ByteTable();
  ByteTable(ByteTable&&) noexcept;
  ByteTable& operator=(ByteTable&&) noexcept;
  ~ByteTable();

  // The value of `key`, valid until the next put, erase or reserve.
  std::optional<std::string_view> find(std::string_view key) const;
  void put(std::string_view key, std::string_view value);
  bool erase(std::string_view key);
  size_t size() const { return live_; }

  // Room for `entries` entries, so that a replay does not rebuild the index as it goes.
  void reserve(size_t entries);

  // Every entry, in no particular order.
  template <typename F>
  void forEach(F&& f) const {
    for (const Slot& s : slots_) {
      if (s.ref != kEmpty && s.ref != kErased) f(keyAt(s.ref), valueAt(s.ref));
    }
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint64_t ref = 0;  // where the entry's record is (see refOf), or kEmpty / kErased
  };
  static constexpr uint64_t kEmpty = 0;
  static constexpr uint64_t kErased = ~uint64_t{0};

  // A record: key length and value length (4 bytes each), then the key, then the value.
  uint64_t append(std::string_view key, std::string_view value);
  const char* recordAt(uint64_t ref) const;
  std::string_view keyAt(uint64_t ref) const;
  std::string_view valueAt(uint64_t ref) const;
  size_t recordSize(uint64_t ref) const;

  // The slot holding `key`, or the slot where it would go (the first erased one on its probe
  // run, else the empty one that ends it).
  size_t probe(uint64_t hash, std::string_view key) const;
  void grow(size_t minimumSlots);

  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t blockUsed_ = 0;  // bytes used in blocks_.back()
  size_t blockSize_ = 0;  // size of blocks_.back()
  std::vector<Slot> slots_;
  size_t live_ = 0;
  size_t erasedSlots_ = 0;
  size_t liveBytes_ = 0;
  size_t garbageBytes_ = 0;
};

}  // namespace pitlog::projections
