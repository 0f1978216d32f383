#include "commands/undurable_views.h"

#include <kj/debug.h>

namespace pitlog::commands {

static rocksdb::Slice slice(std::string_view s) { return {s.data(), s.size()}; }

void UndurableBatches::begin(uint64_t number) {
  KJ_ASSERT(batches_.empty() || batches_.back().number < number, number);
  batches_.emplace_back().number = number;
}

void UndurableBatches::dropDurable(uint64_t durable) {
  while (!batches_.empty() && batches_.front().number <= durable) batches_.pop_front();
}

std::optional<std::optional<std::string>> UndurableBatches::find(projections::Family f,
                                                                 std::string_view key) const {
  for (auto b = batches_.rbegin(); b != batches_.rend(); ++b) {
    const auto& views = b->views[static_cast<int>(f)];
    if (auto it = views.find(key); it != views.end()) return it->second;
  }
  return std::nullopt;
}

void UndurableBatches::record(projections::Family f, std::string_view key,
                              std::optional<std::string> value) {
  KJ_ASSERT(!batches_.empty(), "a write outside a batch");
  batches_.back().views[static_cast<int>(f)].insert_or_assign(std::string(key), std::move(value));
}

void UndurableBatches::recordStream(const std::string& streamId, uint32_t version) {
  KJ_ASSERT(!batches_.empty(), "an append outside a batch");
  batches_.back().streams.insert_or_assign(streamId, version);
}

void UndurableBatches::tellAppender(events::LogAppender& appender,
                                    std::string_view streamId) const {
  for (auto b = batches_.rbegin(); b != batches_.rend(); ++b) {
    if (auto it = b->streams.find(streamId); it != b->streams.end()) {
      // The appender keeps what it learnt in the current batch (try_emplace), which is newer.
      appender.knowStreamVersion(streamId, it->second);
      return;
    }
  }
}

void UndurableBatches::recordOutcome(std::string_view idempotencyKey,
                                     std::optional<projections::IntegrationView> view) {
  KJ_ASSERT(!batches_.empty(), "a command outside a batch");
  batches_.back().outcomes.insert_or_assign(std::string(idempotencyKey), std::move(view));
}

const std::optional<projections::IntegrationView>* UndurableBatches::findOutcome(
    std::string_view idempotencyKey) const {
  for (auto b = batches_.rbegin(); b != batches_.rend(); ++b) {
    if (auto it = b->outcomes.find(idempotencyKey); it != b->outcomes.end()) return &it->second;
  }
  return nullptr;
}

std::optional<std::string> PipelinedViewStore::get(projections::Family f, std::string_view key) {
  if (auto undurable = undurable_.find(f, key)) return std::move(*undurable);
  return store_.get(f, key);
}

void PipelinedViewStore::put(projections::Family f, std::string_view key,
                             std::string_view value) {
  undurable_.record(f, key, std::string(value));
  batch_.Put(store_.family(f), slice(key), slice(value));
}

void PipelinedViewStore::erase(projections::Family f, std::string_view key) {
  undurable_.record(f, key, std::nullopt);
  batch_.Delete(store_.family(f), slice(key));
}

}  // namespace pitlog::commands
