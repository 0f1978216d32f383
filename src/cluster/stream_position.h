#pragma once
// Where a node's data dir records the stream position it has applied: meta/stream_position, a
// fixed64be written in the WriteBatch that applies the commit at that position (or, when a
// single-node log joins the stream, in the batch that records the join). A data dir without it
// holds a single-node log, or nothing.
#include <rocksdb/write_batch.h>

#include <cstdint>
#include <optional>
#include <string_view>

#include "events/store.h"

namespace pitlog::cluster {

inline constexpr std::string_view kMetaStreamPosition = "stream_position";

// The recorded position; nullopt when none is. Throws events::StoreError when it is damaged.
std::optional<uint64_t> recordedStreamPosition(const events::Store& store);
// Puts `position` into `batch` as the recorded position.
void recordStreamPosition(const events::Store& store, rocksdb::WriteBatch& batch,
                          uint64_t position);

}  // namespace pitlog::cluster
