#include "events/keys.h"

namespace pitlog::events::keys {

const std::vector<std::string>& familyNames() {
  static const std::vector<std::string> kNames = {kEvents,    kStreams,     kTokens,
                                                  kIntegrations, kByAccount, kPermissions,
                                                  kAuditByAccount, kIdempotency, kMeta,
                                                  kMerkle, kLastUse, kWebhooks,
                                                  kWebhookDelivery};
  return kNames;
}

const char* familyName(Family f) { return familyNames()[static_cast<int>(f)].c_str(); }

std::string fixed64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v & 0xff);
  return out;
}

std::string fixed32(uint32_t v) {
  std::string out(4, '\0');
  for (int i = 3; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v & 0xff);
  return out;
}

std::optional<uint64_t> readFixed64(std::string_view bytes) {
  if (bytes.size() != 8) return std::nullopt;
  uint64_t v = 0;
  for (char c : bytes) v = v << 8 | static_cast<unsigned char>(c);
  return v;
}

std::optional<uint32_t> readFixed32(std::string_view bytes) {
  if (bytes.size() != 4) return std::nullopt;
  uint32_t v = 0;
  for (char c : bytes) v = v << 8 | static_cast<unsigned char>(c);
  return v;
}

std::optional<uint64_t> parseEventKey(std::string_view key) {
  auto seq = readFixed64(key);
  if (!seq || *seq == 0 || *seq > kMaxSeq) return std::nullopt;
  return seq;
}

std::string describeBadEventKey(std::string_view key) {
  static const char* kDigits = "0123456789abcdef";
  std::string hex;
  for (char c : key.substr(0, 32)) {
    hex.push_back(kDigits[static_cast<unsigned char>(c) >> 4]);
    hex.push_back(kDigits[static_cast<unsigned char>(c) & 0xf]);
  }
  if (key.size() > 32) hex += "...";
  std::string why = key.size() != 8 ? std::to_string(key.size()) + " bytes, not 8"
                                    : "sequence 0 or beyond the largest pitlog writes";
  return "the events family holds a key that is not an event key: 0x" + hex + " (" + why + ")";
}

static std::string joined(std::string_view a, std::string_view b) {
  std::string out;
  out.reserve(a.size() + 1 + b.size());
  out.append(a).push_back('\0');
  out.append(b);
  return out;
}

std::string streamKey(std::string_view streamId, uint32_t version) {
  return joined(streamId, fixed32(version));
}
std::string streamPrefix(std::string_view streamId) { return joined(streamId, {}); }
std::string accountPrefix(std::string_view account) { return joined(account, {}); }
std::string byAccountKey(std::string_view account, std::string_view id) {
  return joined(account, id);
}
std::string permissionKey(std::string_view account, std::string_view user) {
  return joined(account, user);
}
std::string auditKey(std::string_view account, uint64_t seq) {
  return joined(account, fixed64(seq));
}
std::string idempotencyKey(std::string_view account, std::string_view key) {
  return joined(account, key);
}
std::string permissionStreamId(std::string_view account, std::string_view user) {
  std::string out = "perm/";
  out.append(account).push_back('/');
  out.append(user);
  return out;
}

std::string webhookStreamId(std::string_view account, std::string_view webhookId) {
  std::string out = "webhook/";
  out.append(account).push_back('/');
  out.append(webhookId);
  return out;
}
std::string webhookKey(std::string_view account, std::string_view webhookId) {
  return joined(account, webhookId);
}
std::string deliveryCursorKey(std::string_view account, std::string_view webhookId) {
  return "c" + joined(account, webhookId);
}
std::string deliveryAttemptPrefix(std::string_view account, std::string_view webhookId) {
  return "a" + joined(joined(account, webhookId), {});
}
std::string deliveryAttemptKey(std::string_view account, std::string_view webhookId, uint64_t n) {
  return deliveryAttemptPrefix(account, webhookId) + fixed64(n);
}

std::string reminderCountKey(std::string_view account, std::string_view webhookId) {
  return "n" + joined(account, webhookId);
}
std::string reminderQueueKey(std::string_view account, std::string_view webhookId, uint64_t n) {
  return "q" + joined(joined(account, webhookId), {}) + fixed64(n);
}
std::string reminderFiredKey(char type, const std::array<uint8_t, 32>& digest) {
  return std::string("r") + type + std::string(reinterpret_cast<const char*>(digest.data()), 32);
}

std::string_view afterAccountPrefix(std::string_view key) {
  auto zero = key.find('\0');
  return zero == std::string_view::npos ? std::string_view{} : key.substr(zero + 1);
}

std::string lastUseKey(const std::array<uint8_t, 32>& digest) {
  return std::string(reinterpret_cast<const char*>(digest.data()), 16);
}

std::string merkleNodeKey(uint32_t level, uint64_t index) {
  return std::string(1, static_cast<char>(level)) + fixed64(index);
}

}  // namespace pitlog::events::keys
