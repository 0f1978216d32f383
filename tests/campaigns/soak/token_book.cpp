#include "token_book.h"

#include <mutex>

namespace pitlog::campaigns::soak {

size_t TokenBook::add(std::string token, ExpectedIntrospection expected) {
  std::unique_lock lock(mu_);
  entries_.push_back({std::move(token), std::move(expected), 0});
  return entries_.size() - 1;
}

size_t TokenBook::size() const {
  std::shared_lock lock(mu_);
  return entries_.size();
}

std::optional<TokenBook::Snapshot> TokenBook::read(size_t index) const {
  std::shared_lock lock(mu_);
  const Entry& e = entries_.at(index);
  if (e.generation % 2 == 1) return std::nullopt;
  return Snapshot{e.token, e.expected, e.generation};
}

bool TokenBook::unchangedSince(size_t index, uint64_t generation) const {
  std::shared_lock lock(mu_);
  return entries_.at(index).generation == generation;
}

void TokenBook::begin(size_t index) {
  std::unique_lock lock(mu_);
  ++entries_.at(index).generation;
}

void TokenBook::finish(size_t index, const ExpectedIntrospection& expected) {
  std::unique_lock lock(mu_);
  Entry& e = entries_.at(index);
  e.expected = expected;
  ++e.generation;
}

}  // namespace pitlog::campaigns::soak
