#pragma once
// Where projections read and write their views. The same projection step (projector.h) runs
// against a RocksDB batch on the live path and against memory during replay, which is how the
// live views and every rebuild stay the same by construction.
#include <map>
#include <unordered_map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/keys.h"

namespace pitlog::projections {

using events::keys::Family;

class ViewStore {
 public:
  virtual ~ViewStore() = default;
  virtual std::optional<std::string> get(Family f, std::string_view key) = 0;
  virtual void put(Family f, std::string_view key, std::string_view value) = 0;
  virtual void erase(Family f, std::string_view key) = 0;
};

// Views held in memory: replay's output, and what tests compare. Hash maps while replay writes
// (it does millions of point reads and writes); family() gives the sorted form for comparison.
class MemoryViewStore : public ViewStore {
 public:
  using Sorted = std::map<std::string, std::string, std::less<>>;

  std::optional<std::string> get(Family f, std::string_view key) override;
  void put(Family f, std::string_view key, std::string_view value) override;
  void erase(Family f, std::string_view key) override;

  // One family in key order (a copy: call it once per family, not in a loop).
  Sorted family(Family f) const;
  // A point read without copying the family.
  std::optional<std::string_view> lookup(Family f, std::string_view key) const;
  size_t size(Family f) const { return families_[static_cast<int>(f)].size(); }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::string, Hash, std::equal_to<>>
      families_[events::keys::kFamilyCount];
};

// The families that projections own (and replay rebuilds and compares).
const std::vector<Family>& viewFamilies();

}  // namespace pitlog::projections
