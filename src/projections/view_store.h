#pragma once
// Where projections read and write their views. The same projection step (projector.h) runs
// against a RocksDB batch on the live path and against memory during replay, which is how the
// live views and every rebuild stay the same by construction.
#include <map>
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

// Views held in ordered maps: replay's output, and what tests compare.
class MemoryViewStore : public ViewStore {
 public:
  std::optional<std::string> get(Family f, std::string_view key) override;
  void put(Family f, std::string_view key, std::string_view value) override;
  void erase(Family f, std::string_view key) override;

  const std::map<std::string, std::string, std::less<>>& family(Family f) const {
    return families_[static_cast<int>(f)];
  }

 private:
  std::map<std::string, std::string, std::less<>> families_[events::keys::kFamilyCount];
};

// The families that projections own (and replay rebuilds and compares).
const std::vector<Family>& viewFamilies();

}  // namespace pitlog::projections
