#include "projections/batch_view_store.h"

namespace pitlog::projections {

static rocksdb::Slice slice(std::string_view s) { return {s.data(), s.size()}; }

std::optional<std::string> BatchViewStore::get(Family f, std::string_view key) {
  auto& overlay = overlay_[static_cast<int>(f)];
  if (auto it = overlay.find(std::string(key)); it != overlay.end()) return it->second;
  return store_.get(f, key);
}

void BatchViewStore::put(Family f, std::string_view key, std::string_view value) {
  overlay_[static_cast<int>(f)].insert_or_assign(std::string(key), std::string(value));
  batch_.Put(store_.family(f), slice(key), slice(value));
}

void BatchViewStore::erase(Family f, std::string_view key) {
  overlay_[static_cast<int>(f)].insert_or_assign(std::string(key), std::nullopt);
  batch_.Delete(store_.family(f), slice(key));
}

void BatchViewStore::reset() {
  for (auto& overlay : overlay_) overlay.clear();
}

}  // namespace pitlog::projections
