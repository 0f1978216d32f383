#pragma once
// The meta family checked against keys.h's grammar before anything trusts it. A damaged meta
// value (a flipped byte in last_seq, a missing schema_version) is a finding for the auditor's
// tools to report, never a size to allocate or a bound to loop to.
#include <optional>
#include <string>

#include "events/store.h"

namespace pitlog::projections {

// The first way the stored meta breaks the grammar, in words for a person; nullopt when every
// meta key is one pitlog writes, of the right size and in range, and nothing the log needs is
// missing. Reads only the meta family and the last event key.
std::optional<std::string> checkStoredMeta(const events::Store& store);

// The largest well-formed event key stored (0 for an empty log, or when the storage holding the
// log's end is unreadable): a bound read from the data itself, for presizing, where
// meta/last_seq may lie.
uint64_t lastStoredEventSeq(const events::Store& store);

}  // namespace pitlog::projections
