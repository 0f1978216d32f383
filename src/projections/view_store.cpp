#include "projections/view_store.h"

namespace pitlog::projections {

std::optional<std::string> MemoryViewStore::get(Family f, std::string_view key) {
  auto& m = families_[static_cast<int>(f)];
  auto it = m.find(key);
  if (it == m.end()) return std::nullopt;
  return it->second;
}

void MemoryViewStore::put(Family f, std::string_view key, std::string_view value) {
  families_[static_cast<int>(f)].insert_or_assign(std::string(key), std::string(value));
}

void MemoryViewStore::erase(Family f, std::string_view key) {
  auto& m = families_[static_cast<int>(f)];
  if (auto it = m.find(key); it != m.end()) m.erase(it);
}

const std::vector<Family>& viewFamilies() {
  static const std::vector<Family> kFamilies = {Family::tokens, Family::integrations,
                                                Family::byAccount, Family::permissions,
                                                Family::auditByAccount};
  return kFamilies;
}

}  // namespace pitlog::projections
