#pragma once
// The on-disk layout, one column family per line. Every key and fixed value pitlog writes is
// built by a function in this file, so this grammar is the whole of it:
//
//   events            seq:fixed64be                         -> Event (canonical Cap'n Proto)
//   streams           stream_id 0x00 version:fixed32be      -> seq:fixed64be
//   tokens            sha256(token):32 bytes                -> TokenEntry (views.capnp)
//   integrations      integration_id                        -> IntegrationView (views.capnp)
//   by_account        account 0x00 integration_id           -> "" (empty)
//   permissions       account 0x00 user                     -> allowed:1 byte (0 or 1)
//   audit_by_account  account 0x00 seq:fixed64be            -> "" (empty)
//   idempotency       account 0x00 key                      -> IdempotencyRecord (commands)
//   meta              "schema_version"                      -> fixed32be
//                     "last_seq"                            -> fixed64be
//                     "chain_head"                          -> 32 bytes (hash of event last_seq)
//                     "views_version"                       -> fixed32be (projection code version)
//                     "stream_position"                     -> fixed64be (cluster mode only)
//   merkle            level:1 byte index:fixed64be          -> 32-byte node hash (merkle.h)
//   last_use          sha256(token)[0,16):16 bytes          -> unix ms:fixed64be
//   webhooks          account 0x00 webhook_id               -> WebhookView (views.capnp)
//   webhook_delivery  'c' account 0x00 webhook_id           -> DeliveryCursor (server/webhooks)
//                     'a' account 0x00 webhook_id 0x00 n:fixed64be -> DeliveryAttempt
//                     'n' account 0x00 webhook_id           -> reminders queued:fixed64be
//                     'q' account 0x00 webhook_id 0x00 n:fixed64be -> QueuedReminder
//                     'r' type:1 byte sha256(token):32 bytes -> unix ms fired:fixed64be
//
// webhooks is a view like permissions: projected from WebhookSubscribed/WebhookRemoved, rebuilt
// by replay and compared by pit-replay verify. webhook_delivery is not history (DESIGN.md, "What
// is not history"): each subscription's cursor (the log seq delivered up to, the message being
// retried) and its last 100 attempts, written by the delivery worker only. Losing it re-sends
// from the subscription's start (at least once), never decides anything.
//
// last_use is not history (DESIGN.md, "What is not history"): the time of each valid token's last
// active introspection, flushed from memory at most every minute (commands/last_use_table.h). It
// is never hash-chained, never rebuilt by replay and never compared by pit-replay verify; a key
// whose token is no longer valid is deleted by the next flush. Losing it loses no decision.
//
// The merkle family holds every complete subtree node of level ≥ 4 of the RFC 9162 tree over the
// log (events/merkle.h; the lower ones are computed from the events, events/merkle_store.h): node
// (level L, index I) covers leaves [I·2^L, (I+1)·2^L), and leaf n-1 is the event of seq n (its leaf
// hash is SHA-256(0x00 ‖ the event's hash)). The batch that appends an event writes the stored
// nodes it completes, so the family always covers the whole blocks of 16 of meta/last_seq leaves.
// Keys sort by level, then index.
//
// Account ids, user ids and integration ids never contain 0x00 (API.md restricts them to
// [A-Za-z0-9._:-]), nor do idempotency keys (printable ASCII), so 0x00 separates unambiguously
// and a prefix scan over "account 0x00" yields exactly that account's entries in key order.
// Permission streams are named "perm/<account>/<user>": '/' cannot occur in an id.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pitlog::events::keys {

inline constexpr const char* kEvents = "events";
inline constexpr const char* kStreams = "streams";
inline constexpr const char* kTokens = "tokens";
inline constexpr const char* kIntegrations = "integrations";
inline constexpr const char* kByAccount = "by_account";
inline constexpr const char* kPermissions = "permissions";
inline constexpr const char* kAuditByAccount = "audit_by_account";
inline constexpr const char* kIdempotency = "idempotency";
inline constexpr const char* kMeta = "meta";
inline constexpr const char* kMerkle = "merkle";
inline constexpr const char* kLastUse = "last_use";
inline constexpr const char* kWebhooks = "webhooks";
inline constexpr const char* kWebhookDelivery = "webhook_delivery";

// Every family pitlog needs, in a fixed order (the store's handle indexes follow it).
enum class Family : int {
  events, streams, tokens, integrations, byAccount, permissions, auditByAccount, idempotency, meta,
  merkle, lastUse, webhooks, webhookDelivery
};
inline constexpr int kFamilyCount = 13;
const std::vector<std::string>& familyNames();  // indexed by Family
const char* familyName(Family f);

inline constexpr std::string_view kMetaSchemaVersion = "schema_version";
inline constexpr std::string_view kMetaLastSeq = "last_seq";
inline constexpr std::string_view kMetaChainHead = "chain_head";
inline constexpr std::string_view kMetaViewsVersion = "views_version";
// Cluster mode only: the stream position the data dir has applied, fixed64be (written by the
// cluster's log, cluster/stream_position.h). Listed here so that the tools know the key.
inline constexpr std::string_view kMetaStreamPosition = "stream_position";

// The largest sequence pitlog writes. Keys are 8 bytes, but the API's JSON carries sequences as
// numbers and Cap'n Proto's JSON codec writes 64-bit integers as strings, so the log is full at
// 2^32 - 1 events (over a century at a thousand commands a minute). A stored event claiming a
// larger sequence is damaged by definition.
inline constexpr uint64_t kMaxSeq = 0xffffffffULL;

// The schema version this build writes and reads. A database with a larger one is refused.
inline constexpr uint32_t kSchemaVersion = 1;

std::string fixed64(uint64_t v);
std::string fixed32(uint32_t v);
std::optional<uint64_t> readFixed64(std::string_view bytes);
std::optional<uint32_t> readFixed32(std::string_view bytes);

inline std::string eventKey(uint64_t seq) { return fixed64(seq); }
// The sequence an events-family key names, or nullopt when the key is not one pitlog writes
// (not 8 bytes, 0, or beyond kMaxSeq): such a key is damage to report, never a sequence.
std::optional<uint64_t> parseEventKey(std::string_view key);
// Why `key` is not an event key, for a person (call only when parseEventKey failed).
std::string describeBadEventKey(std::string_view key);
std::string streamKey(std::string_view streamId, uint32_t version);
std::string streamPrefix(std::string_view streamId);  // streamId 0x00
std::string accountPrefix(std::string_view account);  // account 0x00
std::string byAccountKey(std::string_view account, std::string_view integrationId);
std::string permissionKey(std::string_view account, std::string_view user);
std::string auditKey(std::string_view account, uint64_t seq);
std::string idempotencyKey(std::string_view account, std::string_view key);
std::string permissionStreamId(std::string_view account, std::string_view user);
// A webhook subscription's stream: "webhook/<account>/<webhook id>".
std::string webhookStreamId(std::string_view account, std::string_view webhookId);
std::string webhookKey(std::string_view account, std::string_view webhookId);
// webhook_delivery keys (see the grammar above).
std::string deliveryCursorKey(std::string_view account, std::string_view webhookId);
std::string deliveryAttemptPrefix(std::string_view account, std::string_view webhookId);
std::string deliveryAttemptKey(std::string_view account, std::string_view webhookId, uint64_t n);
std::string reminderCountKey(std::string_view account, std::string_view webhookId);
std::string reminderQueueKey(std::string_view account, std::string_view webhookId, uint64_t n);
// A reminder fired for a token: `type` 'd' (rotation.due) or 'w' (rotation.window_ending).
std::string reminderFiredKey(char type, const std::array<uint8_t, 32>& digest);
// The merkle-family key of node (level, index): level as one byte, then index as fixed64be.
std::string merkleNodeKey(uint32_t level, uint64_t index);

// The last_use key of a token: the first 16 bytes of its digest (commands/last_use_table.h).
std::string lastUseKey(const std::array<uint8_t, 32>& digest);

// The part after "account 0x00" of a by_account/permissions/idempotency/audit key.
std::string_view afterAccountPrefix(std::string_view key);

}  // namespace pitlog::events::keys
