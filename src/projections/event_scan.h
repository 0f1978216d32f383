#pragma once
// Reading the events family past damaged storage. RocksDB stops a scan at a block whose checksum
// fails ("Corruption: block checksum mismatch"); an auditor still wants the rest of the log and
// the exact sequences lost. This scan reports the unreadable range and goes on at the first
// readable key after it.
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "events/store.h"

namespace pitlog::projections {

struct UnreadableEvents {
  uint64_t first = 0;               // the first sequence that could not be read
  std::optional<uint64_t> last;     // the last one; nullopt: to the end of the log
  std::string why;                  // RocksDB's words
};

// Visits events-family entries with keys in [from, to) (to empty: to the end) in key order, as
// Store::scanRange does, until visit returns false. Where a damaged block stops reading, calls
// damaged() with the range of sequences it covers (after the last key visited) and, when damaged()
// returns true, resumes after it. Other storage errors throw StoreError as scanRange does.
void scanEventsPastDamage(const events::Store& store, std::string_view from, std::string_view to,
                          const std::function<bool(std::string_view, std::string_view)>& visit,
                          const std::function<bool(const UnreadableEvents&)>& damaged);

}  // namespace pitlog::projections
