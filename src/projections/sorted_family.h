#pragma once
// One view family held in memory, built for replay's load: millions of writes of small entries
// (audit entries, stream index entries, Merkle nodes, token entries), then one read of the whole
// family in key order to compare it with the stored one.
//
// A hash table costs a cache (and TLB) miss per write at that size; here a write only appends
// its record to large blocks, and the family is put in key order when it is next read (a
// multikey sort on 8-byte words of the keys, then merged with what was sorted before, the newest
// write of a key winning, erasures dropped). Writes cost no random access; reading the family in order is a
// sequential walk, which is what comparing it with the stored family (a RocksDB iterator) wants.
// A point read after writes sorts first (O(n log n) once, then binary searches): meant for the
// few reads tests and tools make, not for a workload that interleaves reads and writes. The
// bytes of an overwritten or erased entry stay in their block until the family is destroyed
// (replay writes each key about once).
//
// Not thread-safe, reads included (a read may sort). Different families may be used from
// different threads at once.
#include <compare>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace pitlog::projections {

// The first 16 bytes of a key as two big-endian words (zero-padded): comparing prefixes compares
// those bytes as RocksDB's bytewise order does, so sorting by them first touches the keys
// themselves only on ties.
struct KeyPrefix {
  uint64_t high = 0, low = 0;
  auto operator<=>(const KeyPrefix&) const = default;
};
KeyPrefix keyPrefixOf(std::string_view key);

class SortedFamily {
 public:
  SortedFamily();
  SortedFamily(SortedFamily&&) noexcept;
  SortedFamily& operator=(SortedFamily&&) noexcept;
  ~SortedFamily();

  void put(std::string_view key, std::string_view value);
  void erase(std::string_view key);
  // Room for `writes` more writes in the write log.
  void reserve(size_t writes);

  // The value of `key`, valid until the next write.
  std::optional<std::string_view> find(std::string_view key) const;
  size_t size() const;

  // Every entry in key order (bytewise, as RocksDB's default comparator).
  template <typename F>
  void forEach(F&& f) const {
    sort();
    // Records lie in the order they were written: fetch a few ahead of the one visited.
    for (size_t i = 0; i < sorted_.size(); ++i) {
      if (i + kPrefetchAhead < sorted_.size()) __builtin_prefetch(recordAt(sorted_[i + kPrefetchAhead]));
      f(keyAt(sorted_[i]), valueAt(sorted_[i]));
    }
  }

 private:
  // A record: key length and value length (4 bytes each; the value length's top bit marks an
  // erasure), then the key, then the value. A ref is (block << 32 | offset) + 1: refs grow with
  // the order of writes, which is how the newest write of a key is told apart.
  static constexpr size_t kPrefetchAhead = 8;
  uint64_t append(std::string_view key, std::string_view value, bool erasure);
  const char* recordAt(uint64_t ref) const;
  std::string_view keyAt(uint64_t ref) const;
  std::string_view valueAt(uint64_t ref) const;
  bool erasureAt(uint64_t ref) const;
  // Merges the write log into sorted_.
  void sort() const;
  // Puts items (writes whose keys agree on their first `depth` bytes) in key order, then write
  // order, and marks runs of the same key.
  struct Item;
  void sortItems(Item* first, Item* last, size_t depth) const;
  static void radixSortItems(Item* first, Item* last);

  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t blockUsed_ = 0;
  size_t blockSize_ = 0;
  mutable std::vector<uint64_t> pending_;  // writes not yet sorted, oldest first
  mutable std::vector<uint64_t> sorted_;   // live entries in key order, one per key
};

}  // namespace pitlog::projections
