#pragma once
// What the writer has decided but the syncer has not yet made durable, and the ViewStore that
// decides on top of it.
//
// The engine pipelines its batches (engine.h): while batch N is being written and fsynced, the
// next batch is decided against the state N leaves. That state is not in RocksDB yet (a write
// with sync only becomes visible once it is durable, which is what keeps it from readers), so
// each batch not yet durable keeps the view values and stream versions it wrote here, and the
// writer reads through them: its own batch first, then earlier undurable batches, newest first,
// then the database.
//
// Thread-safety: none. The writer thread alone owns an UndurableBatches; the syncer only reports
// which batches became durable (a number the writer passes to dropDurable()).
#include <rocksdb/write_batch.h>

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "events/keys.h"
#include "events/log.h"
#include "events/store.h"
#include "projections/integration_view.h"
#include "projections/view_store.h"

namespace pitlog::commands {

class UndurableBatches {
 public:
  // Starts the writes of batch `number` (numbers go up by one per batch).
  void begin(uint64_t number);
  // Forgets the batches up to `durable`: RocksDB holds their writes now. Call only between
  // commands, never while a ViewStore of the current batch is reading.
  void dropDurable(uint64_t durable);
  // Forgets everything (after a failure, once nothing is in flight: memory restarts from the log).
  void clear() { batches_.clear(); }
  bool empty() const { return batches_.empty(); }

  // The newest value written for a view key by an undurable batch: nullopt when none wrote it,
  // an empty optional inside when one erased it.
  std::optional<std::optional<std::string>> find(projections::Family f, std::string_view key) const;
  void record(projections::Family f, std::string_view key, std::optional<std::string> value);

  // The stream versions the undurable batches reached. The appender forgets them at each batch
  // boundary (it reads the rest from RocksDB), so the writer tells it before every use.
  void recordStream(const std::string& streamId, uint32_t version);
  void tellAppender(events::LogAppender& appender, std::string_view streamId) const;

  // The integration view a keyed command (by its idempotency key) of an undurable batch left, as
  // it answered: a retry of it while it is not durable answers the same, however later commands
  // of the undurable batches changed the integration (their events are not in the log, so no fold
  // of the log can give it). Null when no undurable batch holds the key; nullopt inside when the
  // command left no integration (a permission).
  void recordOutcome(std::string_view idempotencyKey,
                     std::optional<projections::IntegrationView> view);
  const std::optional<projections::IntegrationView>* findOutcome(
      std::string_view idempotencyKey) const;

 private:
  // Small (one batch's keys): ordered maps, looked up by string_view without a copy.
  template <typename Value>
  using Map = std::map<std::string, Value, std::less<>>;
  struct Batch {
    uint64_t number = 0;
    Map<std::optional<std::string>> views[events::keys::kFamilyCount];  // nullopt: erased
    Map<uint32_t> streams;
    Map<std::optional<projections::IntegrationView>> outcomes;  // by idempotency key
  };
  std::deque<Batch> batches_;  // oldest first; back() is the batch being decided
};

// The writer's ViewStore: writes go into the batch's WriteBatch and into the undurable record of
// the current batch; reads see the undurable batches (this one included), then the database.
class PipelinedViewStore : public projections::ViewStore {
 public:
  PipelinedViewStore(const events::Store& store, rocksdb::WriteBatch& batch,
                     UndurableBatches& undurable)
      : store_(store), batch_(batch), undurable_(undurable) {}

  std::optional<std::string> get(projections::Family f, std::string_view key) override;
  void put(projections::Family f, std::string_view key, std::string_view value) override;
  void erase(projections::Family f, std::string_view key) override;

 private:
  const events::Store& store_;
  rocksdb::WriteBatch& batch_;
  UndurableBatches& undurable_;
};

}  // namespace pitlog::commands
