#include "projections/view_store.h"

namespace pitlog::projections {

std::optional<std::string> MemoryViewStore::get(Family f, std::string_view key) {
  auto& m = families_[static_cast<int>(f)];
  auto it = m.find(key);
  if (it == m.end()) return std::nullopt;
  return it->second;
}

void MemoryViewStore::put(Family f, std::string_view key, std::string_view value) {
  auto& m = families_[static_cast<int>(f)];
  if (auto it = m.find(key); it != m.end()) {
    it->second.assign(value);
  } else {
    m.emplace(std::string(key), std::string(value));
  }
}

std::optional<std::string_view> MemoryViewStore::lookup(Family f, std::string_view key) const {
  const auto& m = families_[static_cast<int>(f)];
  auto it = m.find(key);
  if (it == m.end()) return std::nullopt;
  return std::string_view(it->second);
}

MemoryViewStore::Sorted MemoryViewStore::family(Family f) const {
  const auto& m = families_[static_cast<int>(f)];
  return Sorted(m.begin(), m.end());
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
