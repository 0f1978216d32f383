#include "projections/sorted_family.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

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

struct Item {
  KeyPrefix prefix;
  uint64_t ref;
};

}  // namespace

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

void SortedFamily::sort() const {
  if (pending_.empty()) return;
  std::vector<Item> items;
  items.reserve(pending_.size());
  for (uint64_t ref : pending_) items.push_back({keyPrefixOf(keyAt(ref)), ref});
  // Key order; among writes of one key, the order they were made in (refs grow with it).
  std::sort(items.begin(), items.end(), [this](const Item& a, const Item& b) {
    if (a.prefix != b.prefix) return a.prefix < b.prefix;
    const int c = keyAt(a.ref).compare(keyAt(b.ref));
    return c != 0 ? c < 0 : a.ref < b.ref;
  });
  // The newest write of each key, still in key order.
  std::vector<uint64_t> newest;
  newest.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    if (i + kPrefetchAhead < items.size()) __builtin_prefetch(recordAt(items[i + kPrefetchAhead].ref));
    const bool lastOfKey = i + 1 == items.size() || keyAt(items[i].ref) != keyAt(items[i + 1].ref);
    if (lastOfKey) newest.push_back(items[i].ref);
  }
  std::vector<Item>().swap(items);
  // Merged with the entries sorted before: a new write replaces an older entry of its key.
  std::vector<uint64_t> merged;
  merged.reserve(sorted_.size() + newest.size());
  size_t o = 0;
  for (uint64_t ref : newest) {
    const std::string_view key = keyAt(ref);
    while (o < sorted_.size() && keyAt(sorted_[o]) < key) merged.push_back(sorted_[o++]);
    if (o < sorted_.size() && keyAt(sorted_[o]) == key) o++;
    if (!erasureAt(ref)) merged.push_back(ref);
  }
  while (o < sorted_.size()) merged.push_back(sorted_[o++]);
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
