#pragma once
// Where projections read and write their views. The same projection step (projector.h) runs
// against a RocksDB batch on the live path and against memory during replay, which is how the
// live views and every rebuild stay the same by construction.
#include <functional>
#include <map>
#include <unordered_map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/keys.h"
#include "projections/sorted_family.h"
#include "projections/integration_view.h"

namespace pitlog::projections {

using events::keys::Family;

class ViewStore {
 public:
  virtual ~ViewStore() = default;
  virtual std::optional<std::string> get(Family f, std::string_view key) = 0;
  virtual void put(Family f, std::string_view key, std::string_view value) = 0;
  virtual void erase(Family f, std::string_view key) = 0;

  // The integration view of `id`, and its replacement. These defaults go through the bytes of
  // the integrations family; MemoryViewStore keeps integrations decoded instead, since replay
  // reads and rewrites one per event and needs the bytes only when asked for them.
  virtual std::optional<IntegrationView> getIntegration(std::string_view id);
  virtual void putIntegration(std::string_view id, const IntegrationView& view);
  // Calls update() with the integration view of `id` (an empty view when there is none) and
  // stores what it leaves there. The default reads and writes through the two calls above;
  // MemoryViewStore updates its view in place, with one lookup and no copy.
  virtual void updateIntegration(std::string_view id,
                                 const std::function<void(IntegrationView&)>& update);

  // A hint before a replay of about `events` events (a memory store presizes its maps).
  virtual void expectEvents(uint64_t events) {}
};

// Views held in memory: replay's output, and what tests compare. Each family is a SortedFamily
// (replay does millions of point writes and then reads each family once, in key order).
// Integrations are held decoded and encoded when their bytes are read (get, lookup, family,
// forEachSorted), so the fold never decodes and re-encodes a view per event. Not thread-safe,
// reads included; forEachSorted() on different families may run on different threads at once.
class MemoryViewStore : public ViewStore {
 public:
  using Sorted = std::map<std::string, std::string, std::less<>>;

  std::optional<std::string> get(Family f, std::string_view key) override;
  void put(Family f, std::string_view key, std::string_view value) override;
  void erase(Family f, std::string_view key) override;
  std::optional<IntegrationView> getIntegration(std::string_view id) override;
  void putIntegration(std::string_view id, const IntegrationView& view) override;
  void updateIntegration(std::string_view id,
                         const std::function<void(IntegrationView&)>& update) override;

  // Room for about `events` events' worth of views, so that a replay does not rehash as it goes.
  void expectEvents(uint64_t events) override;

  // One family in key order (a copy: call it once per family, not in a loop).
  Sorted family(Family f) const;
  // Visits one family in key order without copying it (integrations are encoded one by one).
  void forEachSorted(Family f,
                     const std::function<void(std::string_view key, std::string_view value)>& visit) const;
  // Visits the integration views, decoded, in no particular order.
  void forEachIntegration(const std::function<void(const IntegrationView&)>& visit) const;
  // A point read without copying the family.
  std::optional<std::string> lookup(Family f, std::string_view key) const;
  size_t size(Family f) const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  template <typename Value>
  using Map = std::unordered_map<std::string, Value, Hash, std::equal_to<>>;

  SortedFamily families_[events::keys::kFamilyCount];  // all but integrations
  Map<IntegrationView> integrations_;
};

// The families derived from the log, which replay rebuilds and verify compares: the stream index
// (written beside each event by the log appender; pitd serves /events from it), the Merkle tree
// nodes (written beside each event too, events/merkle_store.h) and the views
// that projections own.
const std::vector<Family>& viewFamilies();

}  // namespace pitlog::projections
