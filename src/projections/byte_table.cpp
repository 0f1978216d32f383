#include "projections/byte_table.h"

#include <bit>
#include <cstring>
#include <functional>
#include <stdexcept>

namespace pitlog::projections {

namespace {

constexpr size_t kBlockSize = size_t{1} << 20;  // records of larger entries get their own block
constexpr size_t kHeader = 8;                    // key length, value length: 4 bytes each
constexpr size_t kMinSlots = 16;

uint64_t hashOf(std::string_view key) { return std::hash<std::string_view>{}(key); }

uint32_t readLength(const char* p) {
  uint32_t n;
  std::memcpy(&n, p, sizeof n);
  return n;
}

// Too many slots used (live or erased): linear probing slows sharply past three quarters full.
bool overloaded(size_t used, size_t slots) { return (used + 1) * 4 > slots * 3; }

}  // namespace

ByteTable::ByteTable() = default;
ByteTable::ByteTable(ByteTable&&) noexcept = default;
ByteTable& ByteTable::operator=(ByteTable&&) noexcept = default;
ByteTable::~ByteTable() = default;

uint64_t ByteTable::append(std::string_view key, std::string_view value) {
  if (key.size() > UINT32_MAX || value.size() > UINT32_MAX) {
    throw std::length_error("view entry larger than 4 GiB");
  }
  const size_t size = kHeader + key.size() + value.size();
  if (blocks_.empty() || blockUsed_ + size > blockSize_) {
    blockSize_ = std::max(kBlockSize, size);
    blocks_.push_back(std::make_unique_for_overwrite<char[]>(blockSize_));
    blockUsed_ = 0;
  }
  char* p = blocks_.back().get() + blockUsed_;
  const auto keyLength = static_cast<uint32_t>(key.size());
  const auto valueLength = static_cast<uint32_t>(value.size());
  std::memcpy(p, &keyLength, 4);
  std::memcpy(p + 4, &valueLength, 4);
  if (!key.empty()) std::memcpy(p + kHeader, key.data(), key.size());
  if (!value.empty()) std::memcpy(p + kHeader + key.size(), value.data(), value.size());
  // +1 keeps a reference to the first byte of block 0 apart from kEmpty.
  const uint64_t ref = ((uint64_t{blocks_.size() - 1} << 32) | blockUsed_) + 1;
  blockUsed_ += size;
  liveBytes_ += size;
  return ref;
}

const char* ByteTable::recordAt(uint64_t ref) const {
  const uint64_t r = ref - 1;
  return blocks_[r >> 32].get() + (r & 0xffffffffu);
}

std::string_view ByteTable::keyAt(uint64_t ref) const {
  const char* p = recordAt(ref);
  return {p + kHeader, readLength(p)};
}

std::string_view ByteTable::valueAt(uint64_t ref) const {
  const char* p = recordAt(ref);
  return {p + kHeader + readLength(p), readLength(p + 4)};
}

size_t ByteTable::recordSize(uint64_t ref) const {
  const char* p = recordAt(ref);
  return kHeader + readLength(p) + readLength(p + 4);
}

size_t ByteTable::probe(uint64_t hash, std::string_view key) const {
  const size_t mask = slots_.size() - 1;
  size_t firstErased = SIZE_MAX;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.ref == kEmpty) return firstErased != SIZE_MAX ? firstErased : i;
    if (s.ref == kErased) {
      if (firstErased == SIZE_MAX) firstErased = i;
    } else if (s.hash == hash && keyAt(s.ref) == key) {
      return i;
    }
  }
}

std::optional<std::string_view> ByteTable::find(std::string_view key) const {
  if (live_ == 0) return std::nullopt;
  const Slot& s = slots_[probe(hashOf(key), key)];
  if (s.ref == kEmpty || s.ref == kErased) return std::nullopt;
  return valueAt(s.ref);
}

void ByteTable::put(std::string_view key, std::string_view value) {
  if (slots_.empty() || overloaded(live_ + erasedSlots_, slots_.size())) {
    // Only erased slots in the way: rebuilding at the same size clears them.
    grow(overloaded(live_, slots_.size()) ? slots_.size() * 2 : slots_.size());
  }
  const uint64_t hash = hashOf(key);
  Slot& s = slots_[probe(hash, key)];
  if (s.ref != kEmpty && s.ref != kErased) {
    const size_t old = recordSize(s.ref);
    garbageBytes_ += old;
    liveBytes_ -= old;
    s.ref = append(key, value);
    return;
  }
  if (s.ref == kErased) erasedSlots_--;
  s = {hash, append(key, value)};
  live_++;
}

bool ByteTable::erase(std::string_view key) {
  if (live_ == 0) return false;
  Slot& s = slots_[probe(hashOf(key), key)];
  if (s.ref == kEmpty || s.ref == kErased) return false;
  const size_t old = recordSize(s.ref);
  garbageBytes_ += old;
  liveBytes_ -= old;
  s.ref = kErased;
  live_--;
  erasedSlots_++;
  return true;
}

void ByteTable::reserve(size_t entries) {
  // Past this the slot count below would overflow (and the loop never end); no memory holds it.
  if (entries > (SIZE_MAX >> 4)) throw std::length_error("view table: too many entries reserved");
  size_t wanted = kMinSlots;
  while (overloaded(entries, wanted)) wanted *= 2;
  if (wanted > slots_.size()) grow(wanted);
}

void ByteTable::grow(size_t minimumSlots) {
  const size_t count = std::bit_ceil(std::max(minimumSlots, kMinSlots));
  std::vector<Slot> old(count);
  old.swap(slots_);
  // Compact when the garbage outweighs the live entries: copy the live records to new blocks.
  std::vector<std::unique_ptr<char[]>> oldBlocks;
  const bool compact = garbageBytes_ > liveBytes_ && garbageBytes_ > kBlockSize;
  if (compact) {
    oldBlocks.swap(blocks_);
    blockUsed_ = blockSize_ = 0;
    liveBytes_ = garbageBytes_ = 0;
  }
  const size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.ref == kEmpty || s.ref == kErased) continue;
    uint64_t ref = s.ref;
    if (compact) {
      const uint64_t r = ref - 1;
      const char* p = oldBlocks[r >> 32].get() + (r & 0xffffffffu);
      const uint32_t k = readLength(p);
      ref = append({p + kHeader, k}, {p + kHeader + k, readLength(p + 4)});
    }
    size_t i = s.hash & mask;
    while (slots_[i].ref != kEmpty) i = (i + 1) & mask;
    slots_[i] = {s.hash, ref};
  }
  erasedSlots_ = 0;
}

}  // namespace pitlog::projections
