#include "projections/sorted_family.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace pitlog::projections {

namespace {

constexpr size_t kBlockSize = size_t{1} << 20;  // records of larger entries get their own block
constexpr size_t kHeader = 8;                    // key length, value length: 4 bytes each
constexpr uint32_t kErasure = uint32_t{1} << 31;  // in the value length

uint32_t readLength(const char* p) {
  uint32_t n;
  std::memcpy(&n, p, sizeof n);
  return n;
}

constexpr uint32_t kMore = 9;  // rest: the key goes on past the word
constexpr ptrdiff_t kRadixAtLeast = 512;  // items: smaller groups are sorted by comparison

// The 8 key bytes from `depth` as a big-endian word, zero-padded past the key's end: comparing
// words compares those bytes as RocksDB's bytewise order does.
uint64_t wordAt(std::string_view key, size_t depth) {
  uint64_t w = 0;
  if (depth < key.size()) std::memcpy(&w, key.data() + depth, std::min<size_t>(key.size() - depth, 8));
  static_assert(std::endian::native == std::endian::little, "wordAt assumes a little-endian host");
  return __builtin_bswap64(w);
}

}  // namespace

// One write being sorted: the 8 key bytes at the depth being sorted (big-endian, zero-padded),
// how many key bytes remain from that depth (clamped to kMore: more than the word holds), and
// the write. Ordering items by (word, rest) orders their keys bytewise up to depth + 8; only
// items tied on a full word with more bytes to follow need the next 8 bytes.
struct SortedFamily::Item {
  uint64_t word;
  uint64_t ref;
  uint32_t rest;
  bool sameKeyAsNext;  // set by the sort: the next item holds a write of the same key
  bool erasure;        // the write erases its key (read with the first word, in write order)
};

KeyPrefix keyPrefixOf(std::string_view key) {
  unsigned char bytes[16] = {};
  std::memcpy(bytes, key.data(), std::min<size_t>(key.size(), 16));
  KeyPrefix p;
  for (int i = 0; i < 8; ++i) p.high = p.high << 8 | bytes[i];
  for (int i = 8; i < 16; ++i) p.low = p.low << 8 | bytes[i];
  return p;
}

SortedFamily::SortedFamily() = default;
SortedFamily::SortedFamily(SortedFamily&&) noexcept = default;
SortedFamily& SortedFamily::operator=(SortedFamily&&) noexcept = default;
SortedFamily::~SortedFamily() = default;

uint64_t SortedFamily::append(std::string_view key, std::string_view value, bool erasure) {
  if (key.size() >= kErasure || value.size() >= kErasure) {
    throw std::length_error("view entry larger than 2 GiB");
  }
  const size_t size = kHeader + key.size() + value.size();
  if (blocks_.empty() || blockUsed_ + size > blockSize_) {
    blockSize_ = std::max(kBlockSize, size);
    blocks_.push_back(std::make_unique_for_overwrite<char[]>(blockSize_));
    blockUsed_ = 0;
  }
  char* p = blocks_.back().get() + blockUsed_;
  const auto keyLength = static_cast<uint32_t>(key.size());
  const auto valueLength = static_cast<uint32_t>(value.size()) | (erasure ? kErasure : 0);
  std::memcpy(p, &keyLength, 4);
  std::memcpy(p + 4, &valueLength, 4);
  if (!key.empty()) std::memcpy(p + kHeader, key.data(), key.size());
  if (!value.empty()) std::memcpy(p + kHeader + key.size(), value.data(), value.size());
  const uint64_t ref = ((uint64_t{blocks_.size() - 1} << 32) | blockUsed_) + 1;
  blockUsed_ += size;
  return ref;
}

const char* SortedFamily::recordAt(uint64_t ref) const {
  const uint64_t r = ref - 1;
  return blocks_[r >> 32].get() + (r & 0xffffffffu);
}

std::string_view SortedFamily::keyAt(uint64_t ref) const {
  const char* p = recordAt(ref);
  return {p + kHeader, readLength(p)};
}

std::string_view SortedFamily::valueAt(uint64_t ref) const {
  const char* p = recordAt(ref);
  return {p + kHeader + readLength(p), readLength(p + 4) & ~kErasure};
}

bool SortedFamily::erasureAt(uint64_t ref) const {
  return (readLength(recordAt(ref) + 4) & kErasure) != 0;
}

void SortedFamily::put(std::string_view key, std::string_view value) {
  pending_.push_back(append(key, value, false));
}

void SortedFamily::erase(std::string_view key) { pending_.push_back(append(key, {}, true)); }

void SortedFamily::reserve(size_t writes) {
  if (writes > pending_.max_size() - pending_.size()) {
    throw std::length_error("view family: too many writes reserved");
  }
  pending_.reserve(pending_.size() + writes);
}

// A stable least-significant-digit radix sort by (word, rest): one pass by rest, then one per
// byte of the word from the lowest, each skipped when every item has the same digit there (keys
// of one family share most of their bytes: a Merkle node's level, an account's name).
void SortedFamily::radixSortItems(Item* first, Item* last) {
  const size_t n = static_cast<size_t>(last - first);
  constexpr int kPasses = 9;  // rest, then bytes 0 (lowest) to 7 of the word
  auto digit = [](const SortedFamily::Item& i, int pass) -> size_t {
    return pass == 0 ? i.rest : (i.word >> (8 * (pass - 1))) & 0xff;
  };
  std::vector<std::array<size_t, 256>> counts(kPasses);
  for (auto& c : counts) c.fill(0);
  for (const auto* i = first; i != last; ++i) {
    counts[0][i->rest]++;
    for (int b = 0; b < 8; ++b) counts[b + 1][(i->word >> (8 * b)) & 0xff]++;
  }
  std::vector<SortedFamily::Item> buffer(n);
  SortedFamily::Item* from = first;
  SortedFamily::Item* to = buffer.data();
  for (int pass = 0; pass < kPasses; ++pass) {
    auto& c = counts[pass];
    if (std::find(c.begin(), c.end(), n) != c.end()) continue;  // one digit for all: no order
    size_t offset = 0;
    for (auto& k : c) offset += std::exchange(k, offset);
    for (const auto* i = from; i != from + n; ++i) to[c[digit(*i, pass)]++] = *i;
    std::swap(from, to);
  }
  if (from != first) std::copy(from, from + n, first);
}

void SortedFamily::sortItems(Item* first, Item* last, size_t depth) const {
  // A multikey sort (radix by 8-byte words, comparison sort within a word): keys that share a
  // long prefix (an account's audit entries, an account's integrations) are told apart by loading
  // their next word once per group, not by a full key comparison per step of the sort, which
  // would fetch two records from anywhere in memory each time.
  if (depth > 0) {
    for (Item* i = first; i != last; ++i) {
      const std::string_view key = keyAt(i->ref);
      i->word = wordAt(key, depth);
      i->rest = static_cast<uint32_t>(std::min<size_t>(key.size() - depth, kMore));
    }
  }
  // Among writes of one key, the order they were made in (refs grow with it). Items come in
  // that order (the write log, or a group the previous level left in it), so a stable sort by
  // (word, rest) suffices: a radix sort for large groups, a comparison sort for small ones.
  if (last - first >= kRadixAtLeast) {
    radixSortItems(first, last);
  } else {
    std::sort(first, last, [](const Item& a, const Item& b) {
      if (a.word != b.word) return a.word < b.word;
      if (a.rest != b.rest) return a.rest < b.rest;
      return a.ref < b.ref;
    });
  }
  for (Item* i = first; i != last;) {
    Item* j = i + 1;
    while (j != last && j->word == i->word && j->rest == i->rest) ++j;
    if (i->rest == kMore && j - i > 1) {
      sortItems(i, j, depth + 8);  // the same 8 bytes and more to come: the next word decides
    } else {
      // Keys that end within this word and agree on it are the same key.
      for (Item* k = i; k + 1 < j; ++k) k->sameKeyAsNext = true;
      (j - 1)->sameKeyAsNext = false;
    }
    i = j;
  }
}

void SortedFamily::sort() const {
  if (pending_.empty()) return;
  std::vector<Item> items;
  items.reserve(pending_.size());
  // Records lie in write order, so this first pass over them is sequential.
  for (uint64_t ref : pending_) {
    const std::string_view key = keyAt(ref);
    items.push_back({wordAt(key, 0), ref, static_cast<uint32_t>(std::min<size_t>(key.size(), kMore)),
                     false, erasureAt(ref)});
  }
  sortItems(items.data(), items.data() + items.size(), 0);
  // The newest write of each key, in key order; one that erases its key drops it (and, in a merge,
  // the entry sorted before).
  std::vector<uint64_t> merged;
  if (sorted_.empty()) {
    // Nothing sorted before (replay's case): the newest write of each key unless it erases it.
    merged.reserve(items.size());
    for (const Item& i : items) {
      if (!i.sameKeyAsNext && !i.erasure) merged.push_back(i.ref);
    }
  } else {
    std::vector<uint64_t> newest;
    newest.reserve(items.size());
    for (const Item& i : items) {
      if (!i.sameKeyAsNext) newest.push_back(i.ref);
    }
    std::vector<Item>().swap(items);
    merged.reserve(sorted_.size() + newest.size());
    // Merged with the entries sorted before: a new write replaces an older entry of its key.
    size_t o = 0;
    for (uint64_t ref : newest) {
      const std::string_view key = keyAt(ref);
      while (o < sorted_.size() && keyAt(sorted_[o]) < key) merged.push_back(sorted_[o++]);
      if (o < sorted_.size() && keyAt(sorted_[o]) == key) o++;
      if (!erasureAt(ref)) merged.push_back(ref);
    }
    while (o < sorted_.size()) merged.push_back(sorted_[o++]);
  }
  sorted_.swap(merged);
  pending_.clear();
  pending_.shrink_to_fit();
}

std::optional<std::string_view> SortedFamily::find(std::string_view key) const {
  sort();
  auto it = std::lower_bound(sorted_.begin(), sorted_.end(), key,
                             [this](uint64_t ref, std::string_view k) { return keyAt(ref) < k; });
  if (it == sorted_.end() || keyAt(*it) != key) return std::nullopt;
  return valueAt(*it);
}

size_t SortedFamily::size() const {
  sort();
  return sorted_.size();
}

}  // namespace pitlog::projections
