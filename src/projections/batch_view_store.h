#pragma once
// The live path's ViewStore: writes go into the writer's WriteBatch and into an overlay, reads see
// the overlay first and the database second, so several commands in one group-commit batch see
// each other's changes before anything is durable.
#include <rocksdb/write_batch.h>

#include <unordered_map>

#include "events/store.h"
#include "projections/view_store.h"

namespace pitlog::projections {

class BatchViewStore : public ViewStore {
 public:
  BatchViewStore(const events::Store& store, rocksdb::WriteBatch& batch)
      : store_(store), batch_(batch) {}

  std::optional<std::string> get(Family f, std::string_view key) override;
  void put(Family f, std::string_view key, std::string_view value) override;
  void erase(Family f, std::string_view key) override;

  // Forget the overlay (after the batch was written or abandoned).
  void reset();

 private:
  const events::Store& store_;
  rocksdb::WriteBatch& batch_;
  // nullopt marks a pending delete.
  std::unordered_map<std::string, std::optional<std::string>> overlay_[events::keys::kFamilyCount];
};

}  // namespace pitlog::projections
