#include "projections/view_store.h"

#include <algorithm>
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

void ViewStore::updateIntegration(std::string_view id,
                                  const std::function<void(IntegrationView&)>& update) {
  IntegrationView view = getIntegration(id).value_or(IntegrationView{});
  update(view);
  putIntegration(id, view);
}

void MemoryViewStore::updateIntegration(std::string_view id,
                                        const std::function<void(IntegrationView&)>& update) {
  auto it = integrations_.find(id);
  if (it == integrations_.end()) it = integrations_.emplace(std::string(id), IntegrationView{}).first;
  update(it->second);
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
  // Each event adds an audit entry, a stream index entry and one Merkle node in eight; most
  // create an integration and a token. A hint, bounded: a larger log grows the families as it goes.
  events = std::min<uint64_t>(events, uint64_t{1} << 27);
  families_[static_cast<int>(Family::auditByAccount)].reserve(events);
  families_[static_cast<int>(Family::tokens)].reserve(events);
  families_[static_cast<int>(Family::byAccount)].reserve(events);
  families_[static_cast<int>(Family::streams)].reserve(events);
  families_[static_cast<int>(Family::merkle)].reserve(events / 8 + 1);
  integrations_.reserve(events);
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
  Sorted out;
  forEachSorted(f, [&](std::string_view key, std::string_view value) {
    out.emplace_hint(out.end(), key, value);
  });
  return out;
}

void MemoryViewStore::forEachSorted(
    Family f, const std::function<void(std::string_view, std::string_view)>& visit) const {
  if (f != Family::integrations) {
    families_[static_cast<int>(f)].forEach(visit);
    return;
  }
  struct ById {
    KeyPrefix prefix;
    const std::pair<const std::string, IntegrationView>* entry;
  };
  std::vector<ById> sorted;
  sorted.reserve(integrations_.size());
  for (const auto& entry : integrations_) sorted.push_back({keyPrefixOf(entry.first), &entry});
  std::sort(sorted.begin(), sorted.end(), [](const ById& a, const ById& b) {
    if (a.prefix != b.prefix) return a.prefix < b.prefix;
    return a.entry->first < b.entry->first;
  });
  // The views lie wherever the map put them: fetch ahead of the one encoded, the map's entry
  // first and, once it has arrived, the id and the tokens it points to.
  constexpr size_t kAhead = 4;
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (i + 2 * kAhead < sorted.size()) __builtin_prefetch(sorted[i + 2 * kAhead].entry);
    if (i + kAhead < sorted.size()) {
      const auto& next = sorted[i + kAhead].entry->second;
      __builtin_prefetch(next.id.data());
      __builtin_prefetch(next.tokens.data());
    }
    visit(sorted[i].entry->first, encodeIntegration(sorted[i].entry->second));
  }
}

void MemoryViewStore::forEachIntegration(
    const std::function<void(const IntegrationView&)>& visit) const {
  for (const auto& [id, view] : integrations_) visit(view);
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
                                                Family::auditByAccount, Family::merkle,
                                                Family::webhooks};
  return kFamilies;
}

}  // namespace pitlog::projections
