#include "commands/last_use_table.h"

#include <algorithm>
#include <cstring>

namespace pitlog::commands {

using events::Digest;
using events::UnixMillis;

namespace {

// A table is resized when live and dead cells fill this share of it, to twice the live count.
constexpr size_t kMaxLoadPercent = 75;
constexpr size_t kMinCapacity = 64;

struct Key {
  uint64_t k0, k1;
};

Key keyOf(const Digest& d) {
  Key k;
  std::memcpy(&k.k0, d.data(), 8);
  std::memcpy(&k.k1, d.data() + 8, 8);
  if (k.k0 == 0) k.k0 = 1;  // 0 marks an empty cell
  return k;
}

}  // namespace

// 24 bytes: written by the owner once (k1, then k0 with release), then only `at` changes.
struct LastUseTable::Cell {
  std::atomic<uint64_t> k0{0};
  std::atomic<uint64_t> k1{0};
  std::atomic<int64_t> at{0};  // 0: never used
};

struct LastUseTable::Table {
  explicit Table(size_t n) : capacity(n), cells(new Cell[n]), flushed(n, 0), dead(n, false) {}
  size_t capacity;
  std::unique_ptr<Cell[]> cells;
  // The owner's alone: the time the store holds for each cell, and the cells of forgotten tokens
  // (kept in place so that probes go on past them; dropped at the next resize).
  std::vector<int64_t> flushed;
  std::vector<bool> dead;
  size_t home(uint64_t k0) const {
    return static_cast<size_t>((static_cast<unsigned __int128>(k0) * capacity) >> 64);
  }
  size_t next(size_t i) const { return i + 1 == capacity ? 0 : i + 1; }
};

LastUseTable::LastUseTable() {
  tables_.push_back(std::make_unique<Table>(kMinCapacity));
  current_.store(tables_.back().get(), std::memory_order_release);
}

LastUseTable::~LastUseTable() = default;

LastUseTable::Cell* LastUseTable::find(Table& t, const Digest& digest) const {
  const Key key = keyOf(digest);
  // Terminates: the load factor stays below kMaxLoadPercent, so an empty cell is always ahead.
  for (size_t i = t.home(key.k0);; i = t.next(i)) {
    Cell& c = t.cells[i];
    const uint64_t k0 = c.k0.load(std::memory_order_acquire);
    if (k0 == 0) return nullptr;
    if (k0 == key.k0 && c.k1.load(std::memory_order_relaxed) == key.k1) return &c;
  }
}

LastUseTable::Cell& LastUseTable::insert(Table& t, const Digest& digest) {
  const Key key = keyOf(digest);
  size_t i = t.home(key.k0);
  while (t.cells[i].k0.load(std::memory_order_relaxed) != 0) i = t.next(i);
  Cell& c = t.cells[i];
  c.k1.store(key.k1, std::memory_order_relaxed);
  c.k0.store(key.k0, std::memory_order_release);  // publishes k1 with it
  return c;
}

void LastUseTable::record(const Digest& digest, UnixMillis at) const {
  Table* t = current_.load(std::memory_order_acquire);
  Cell* c = find(*t, digest);
  if (c == nullptr) return;
  // Written at most once per millisecond per token: concurrent uses of one token do not all
  // write its cache line. Two racing stores both near `at` leave one of them: good enough for a
  // value shown "at most 60 s behind".
  if (c->at.load(std::memory_order_relaxed) < at) c->at.store(at, std::memory_order_relaxed);
}

std::optional<UnixMillis> LastUseTable::lastUsed(const Digest& digest) const {
  Table* t = current_.load(std::memory_order_acquire);
  Cell* c = find(*t, digest);
  if (c == nullptr) return std::nullopt;
  const int64_t at = c->at.load(std::memory_order_relaxed);
  if (at == 0) return std::nullopt;
  return at;
}

void LastUseTable::resize(size_t liveCells) {
  Table& old = *current();
  auto fresh = std::make_unique<Table>(std::max(kMinCapacity, liveCells * 2));
  for (size_t i = 0; i < old.capacity; ++i) {
    const Cell& c = old.cells[i];
    if (c.k0.load(std::memory_order_relaxed) == 0 || old.dead[i]) continue;
    Digest d{};
    const uint64_t k0 = c.k0.load(std::memory_order_relaxed);
    const uint64_t k1 = c.k1.load(std::memory_order_relaxed);
    std::memcpy(d.data(), &k0, 8);
    std::memcpy(d.data() + 8, &k1, 8);
    Cell& n = insert(*fresh, d);
    n.at.store(c.at.load(std::memory_order_relaxed), std::memory_order_relaxed);
    fresh->flushed[static_cast<size_t>(&n - fresh->cells.get())] = old.flushed[i];
  }
  dead_ = 0;
  current_.store(fresh.get(), std::memory_order_release);
  tables_.push_back(std::move(fresh));
}

size_t LastUseTable::tablesHeld() const {
  std::lock_guard lock(ownerMu_);
  return tables_.size();
}

void LastUseTable::reserve(size_t tokens) {
  std::lock_guard lock(ownerMu_);
  // Room already: tracking `tokens` more stays under the load limit (the rule track() applies).
  if ((live_ + dead_ + tokens) * 100 <= current()->capacity * kMaxLoadPercent) return;
  // Else one table for them, with an eighth more before the load limit forces a resize
  // (resize() drops the dead cells and makes twice its argument).
  const size_t live = live_ + tokens;
  const size_t capacity = (live + live / 8) * 100 / kMaxLoadPercent + 1;
  resize((capacity + 1) / 2);
}

void LastUseTable::track(const Digest& digest) {
  std::lock_guard lock(ownerMu_);
  Table* t = current();
  Cell* c = find(*t, digest);
  if (c == nullptr) {
    if ((live_ + dead_ + 1) * 100 > t->capacity * kMaxLoadPercent) {
      resize(live_ + 1);
      t = current();
    }
    insert(*t, digest);
    ++live_;
    return;
  }
  const size_t i = static_cast<size_t>(c - t->cells.get());
  if (t->dead[i]) {
    t->dead[i] = false;
    --dead_;
    ++live_;
  }
}

void LastUseTable::loadStored(const Digest& digest, UnixMillis at) {
  std::lock_guard lock(ownerMu_);
  if (!raiseStored(digest, at)) forgotten_.push_back(digest);
}

bool LastUseTable::mergeStored(const Digest& digest, UnixMillis at) {
  std::lock_guard lock(ownerMu_);
  return raiseStored(digest, at);
}

bool LastUseTable::raiseStored(const Digest& digest, UnixMillis at) {
  Table* t = current();
  Cell* c = find(*t, digest);
  if (c == nullptr || t->dead[static_cast<size_t>(c - t->cells.get())]) return false;
  if (c->at.load(std::memory_order_relaxed) < at) c->at.store(at, std::memory_order_relaxed);
  const size_t i = static_cast<size_t>(c - t->cells.get());
  t->flushed[i] = std::max(t->flushed[i], at);  // the store holds it already
  return true;
}

void LastUseTable::forget(const Digest& digest) {
  std::lock_guard lock(ownerMu_);
  Table* t = current();
  Cell* c = find(*t, digest);
  if (c == nullptr) return;
  const size_t i = static_cast<size_t>(c - t->cells.get());
  if (t->dead[i]) return;
  t->dead[i] = true;
  c->at.store(0, std::memory_order_relaxed);  // no longer shown (a racing use may set it again)
  --live_;
  ++dead_;
  forgotten_.push_back(digest);
}

LastUseTable::Changes LastUseTable::takeChanges() {
  std::lock_guard lock(ownerMu_);
  Table& t = *current();
  // Uses a reader wrote into a retired table after it loaded its pointer: fold them in, so that
  // none is lost to a resize.
  for (size_t k = 0; k + 1 < tables_.size(); ++k) {
    Table& old = *tables_[k];
    for (size_t i = 0; i < old.capacity; ++i) {
      const Cell& o = old.cells[i];
      const uint64_t k0 = o.k0.load(std::memory_order_relaxed);
      const int64_t at = o.at.load(std::memory_order_relaxed);
      if (k0 == 0 || at == 0) continue;
      Digest d{};
      const uint64_t k1 = o.k1.load(std::memory_order_relaxed);
      std::memcpy(d.data(), &k0, 8);
      std::memcpy(d.data() + 8, &k1, 8);
      if (Cell* c = find(t, d); c && c->at.load(std::memory_order_relaxed) < at) {
        c->at.store(at, std::memory_order_relaxed);
      }
    }
  }
  // A retired table is freed once it has been folded in twice, i.e. at least one flush interval
  // after it was retired: a reader holds a table's pointer for one probe (no blocking call, a
  // few nanoseconds), so none can still be writing to it by then.
  while (tables_.size() > 1 && retiredFolds_.size() < tables_.size() - 1) {
    retiredFolds_.push_back(0);
  }
  for (size_t k = 0; k + 1 < tables_.size(); ++k) ++retiredFolds_[k];
  while (tables_.size() > 1 && retiredFolds_.front() >= 2) {
    tables_.erase(tables_.begin());
    retiredFolds_.erase(retiredFolds_.begin());
  }

  Changes out;
  for (size_t i = 0; i < t.capacity; ++i) {
    const Cell& c = t.cells[i];
    const uint64_t k0 = c.k0.load(std::memory_order_relaxed);
    if (k0 == 0 || t.dead[i]) continue;
    const int64_t at = c.at.load(std::memory_order_relaxed);
    if (at <= t.flushed[i]) continue;
    Digest d{};
    const uint64_t k1 = c.k1.load(std::memory_order_relaxed);
    std::memcpy(d.data(), &k0, 8);
    std::memcpy(d.data() + 8, &k1, 8);
    out.used.push_back({d, at});
    t.flushed[i] = at;
  }
  out.forgotten.swap(forgotten_);
  return out;
}

void LastUseTable::restore(const Changes& changes) {
  std::lock_guard lock(ownerMu_);
  Table& t = *current();
  for (const auto& u : changes.used) {
    if (Cell* c = find(t, u.digest)) t.flushed[static_cast<size_t>(c - t.cells.get())] = 0;
  }
  forgotten_.insert(forgotten_.end(), changes.forgotten.begin(), changes.forgotten.end());
}

size_t LastUseTable::tracked() const {
  std::lock_guard lock(ownerMu_);
  return live_;
}

}  // namespace pitlog::commands
