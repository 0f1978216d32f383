#pragma once
// The idempotency record: what a keyed command's first request left (idempotency.capnp), kept 24 h
// so that a retry answers as the first request did. Encoded canonically: in cluster mode the
// records travel in the commit and every node stores the same bytes.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "events/digest.h"
#include "events/event.h"

namespace pitlog::commands {

struct IdempotencyEntry {
  events::Digest fingerprint{};
  events::UnixMillis at = 0;
  std::string integrationId;
  uint32_t version = 0;
  uint64_t firstSeq = 0, lastSeq = 0;
  std::string userId;
  bool allowed = false;
};

std::string encodeIdempotency(const IdempotencyEntry& e);
// nullopt for bytes that are not a record (a damaged value is treated as no record).
std::optional<IdempotencyEntry> decodeIdempotency(std::string_view bytes);

}  // namespace pitlog::commands
