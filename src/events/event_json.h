#pragma once
// An event in API.md's `event` JSON shape, encoded with Cap'n Proto's JSON codec from the schema
// in event_json.capnp (no hand-written JSON):
//   {"seq", "streamId", "streamVersion", "eventId" (32 hex), "at" (RFC 3339 ms), "actor":
//    {"accountId"?, "userId", "role"}, "requestId", "type", "data": {...}, "prevHash", "hash"}
// `data` names tokens by tokenId (first 16 hex digits of the digest), never more.
// Shared by pitd (…/events, /audit) and pit-dump --format json.
#include <string>

#include "events/event.h"

namespace pitlog::events {

// One event as a single-line JSON object.
std::string eventToJson(const DecodedEvent& event);

}  // namespace pitlog::events
