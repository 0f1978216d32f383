#pragma once
// The webhook master key: one random key per data dir (--webhook-key FILE, default
// <data>/webhook.key, created with mode 0600 at first start like the log signing key). No
// subscription's secret is stored anywhere: each is derived from this key, the account, the
// webhook id and the id of the event that created the subscription, so the answer that creates a
// subscription can show it once and the delivery worker can derive it again for every message.
//
// The file holds "pwk_" and 64 hex digits on its first line. Nothing here logs or puts the key or
// a secret into an exception's message. Thread-safe after construction (const methods only).
#include <array>
#include <string>
#include <string_view>

#include "events/digest.h"

namespace pitlog::server::webhooks {

class WebhookKey {
 public:
  // Reads `path`, or creates it (O_EXCL, mode 0600) with a fresh key when it does not exist;
  // *created says which. Throws std::runtime_error naming the path (never the key) when the file
  // cannot be read or written or does not hold a key.
  static WebhookKey loadOrCreate(const std::string& path, bool* created);
  // A key given as bytes (tests).
  static WebhookKey fromBytes(std::string_view key32);

  WebhookKey(const WebhookKey&) = delete;
  WebhookKey(WebhookKey&&) noexcept;
  ~WebhookKey();

  // HMAC-SHA256(key, fixed label): recorded in every WebhookSubscribed, so a node holding another
  // key knows its secrets would be wrong and refuses to sign. Reveals nothing of the key.
  events::Digest fingerprint() const;

  // The subscription's signing key bytes: HMAC-SHA256(key, label ‖ len-prefixed account ‖
  // webhook id ‖ secretEventId). The subscriber sees them as `whsec_` + base64.
  std::array<unsigned char, 32> secretFor(std::string_view account, std::string_view webhookId,
                                          std::string_view secretEventId) const;

 private:
  WebhookKey() = default;
  std::array<unsigned char, 32> key_{};
};

}  // namespace pitlog::server::webhooks
