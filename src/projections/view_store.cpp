#include "projections/view_store.h"

#include <stdexcept>

namespace pitlog::projections {

std::optional<IntegrationView> ViewStore::getIntegration(std::string_view id) {
  auto bytes = get(Family::integrations, id);
  if (!bytes) return std::nullopt;
  return decodeIntegration(*bytes);
}

void ViewStore::putIntegration(std::string_view id, const IntegrationView& view) {
  put(Family::integrations, id, encodeIntegration(view));
}

std::optional<IntegrationView> MemoryViewStore::getIntegration(std::string_view id) {
  auto it = integrations_.find(id);
  if (it == integrations_.end()) return std::nullopt;
  return it->second;
}

void MemoryViewStore::putIntegration(std::string_view id, const IntegrationView& view) {
  if (auto it = integrations_.find(id); it != integrations_.end()) {
    it->second = view;
  } else {
    integrations_.emplace(std::string(id), view);
  }
}

std::optional<std::string> MemoryViewStore::get(Family f, std::string_view key) {
  return lookup(f, key);
}

void MemoryViewStore::put(Family f, std::string_view key, std::string_view value) {
  if (f == Family::integrations) {
    // Bytes that do not decode cannot be held decoded; replay never writes such bytes.
    auto view = decodeIntegration(value);
    if (!view) throw std::invalid_argument("not an integration view: " + std::string(key));
    putIntegration(key, *view);
    return;
  }
  families_[static_cast<int>(f)].put(key, value);
}

void MemoryViewStore::expectEvents(uint64_t events) {
  // Each event adds an audit entry and a stream index entry; most create an integration and a
  // token.
  families_[static_cast<int>(Family::auditByAccount)].reserve(events);
  families_[static_cast<int>(Family::tokens)].reserve(events);
  families_[static_cast<int>(Family::byAccount)].reserve(events);
  families_[static_cast<int>(Family::streams)].reserve(events);
  integrations_.reserve(events);
}

bool MemoryViewStore::holds(Family f, std::string_view key, std::string_view value) const {
  if (f == Family::integrations) {
    auto it = integrations_.find(key);
    return it != integrations_.end() && encodeIntegration(it->second) == value;
  }
  auto found = families_[static_cast<int>(f)].find(key);
  return found && *found == value;
}

std::optional<std::string> MemoryViewStore::lookup(Family f, std::string_view key) const {
  if (f == Family::integrations) {
    auto it = integrations_.find(key);
    if (it == integrations_.end()) return std::nullopt;
    return encodeIntegration(it->second);
  }
  auto value = families_[static_cast<int>(f)].find(key);
  if (!value) return std::nullopt;
  return std::string(*value);
}

MemoryViewStore::Sorted MemoryViewStore::family(Family f) const {
  if (f == Family::integrations) {
    Sorted out;
    for (const auto& [id, view] : integrations_) out.emplace(id, encodeIntegration(view));
    return out;
  }
  Sorted out;
  families_[static_cast<int>(f)].forEach(
      [&](std::string_view key, std::string_view value) { out.emplace(key, value); });
  return out;
}

size_t MemoryViewStore::size(Family f) const {
  return f == Family::integrations ? integrations_.size() : families_[static_cast<int>(f)].size();
}

void MemoryViewStore::erase(Family f, std::string_view key) {
  if (f == Family::integrations) {
    if (auto it = integrations_.find(key); it != integrations_.end()) integrations_.erase(it);
    return;
  }
  families_[static_cast<int>(f)].erase(key);
}

const std::vector<Family>& viewFamilies() {
  static const std::vector<Family> kFamilies = {Family::streams, Family::tokens, Family::integrations,
                                                Family::byAccount, Family::permissions,
                                                Family::auditByAccount, Family::merkle};
  return kFamilies;
}

}  // namespace pitlog::projections
