#pragma once
// Events as the rest of pitlog writes and reads them.
//
// Writing: a command's decision is a list of NewEvent (a C++ value, easy to build and compare in
// tests); encodeEvent() turns one into the canonical Cap'n Proto bytes that are stored and hashed.
// Reading: DecodedEvent owns those bytes and exposes the generated reader; decoding never throws
// on bad bytes, it reports them, because pit-dump and replay meet corrupt values by design.
#include <capnp/serialize.h>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "events/digest.h"
#include "events/event.capnp.h"
#include "events/stored_value.h"
#include "events/time_format.h"

namespace pitlog::events {

namespace schema = ::pitlog::schema;

enum class Role { admin, user, system };
const char* roleName(Role r);

struct Actor {
  std::string accountId;  // empty for the system actor
  std::string userId;
  Role role = Role::user;
  static Actor system() { return {"", "system", Role::system}; }
};

enum class ExpiryReason { manual, windowElapsed, rotatedNow, revoked };
// "manual", "window_elapsed", "rotated_now", "revoked"
const char* expiryReasonName(ExpiryReason r);

namespace body {
struct Created {
  std::string name, description;
  std::vector<std::string> scopes;
  Digest token;
  std::string tokenHint;  // the token's last 4 characters
};
struct ScopesUpdated {
  std::string name, description;
  std::vector<std::string> scopes;
};
struct RotationStarted {
  Digest token, previousToken;
  UnixMillis previousExpiresAt = 0;
  bool expireNow = false;
  std::string tokenHint;
};
struct RotationCancelled {
  Digest cancelledToken, restoredToken;
};
struct Expired {
  Digest token;
  ExpiryReason reason = ExpiryReason::manual;
  std::optional<std::string> source;  // revoked: where the token was found, when the caller said
};
struct Deleted {};
struct PermissionChanged {
  std::string userId;
  bool allowed = false;
};
struct WebhookSubscribed {
  std::string webhookId, url;
  std::vector<std::string> events;  // sorted, unique
  std::string secretEventId;         // empty, or the 16-byte eventId that created it
  Digest keyFingerprint{};
};
struct WebhookRemoved {
  std::string webhookId;
};
}  // namespace body

using Body = std::variant<body::Created, body::ScopesUpdated, body::RotationStarted,
                          body::RotationCancelled, body::Expired, body::Deleted,
                          body::PermissionChanged, body::WebhookSubscribed,
                          body::WebhookRemoved>;

// Does this type belong to an integration's stream? (PermissionChanged and the webhook events
// belong to their account's audit only.)
bool isIntegrationEvent(schema::Event::Body::Which which);

// The API's name of an event type: "Created", "ScopesUpdated", ...
const char* typeName(schema::Event::Body::Which which);
std::optional<schema::Event::Body::Which> typeFromName(std::string_view name);

// The Text fields (and lists of Text) that DecodedEvent::decode() reads to prove them terminated,
// as dotted paths from the Event root ("actor.userId", "body.created.scopes"). A test compares
// the list with the schema, so a Text field added to event.capnp cannot escape the check.
const std::vector<std::string>& eventTextFields();

struct NewEvent {
  std::string streamId;
  std::string accountId;
  Body body;
};

// Everything the envelope needs beyond the event itself, assigned by the single writer.
struct Envelope {
  uint64_t seq = 0;
  uint32_t streamVersion = 0;
  std::array<uint8_t, 16> eventId{};
  UnixMillis at = 0;
  Actor actor;
  std::string requestId;
  Digest prevHash{};
};

// Canonical Cap'n Proto encoding of one event: the bytes that are stored and hashed.
std::string encodeEvent(const NewEvent& event, const Envelope& envelope);

// hash(n) = SHA-256(prevHash(n) || canonical bytes(n)). The first prevHash is 32 zero bytes.
Digest chainHash(const Digest& prevHash, std::string_view canonicalBytes);

class DecodedEvent {
 public:
  // Validates the bytes (bounds, canonical form, required fields). On failure returns nullopt and
  // puts a reason in *error.
  static std::optional<DecodedEvent> decode(std::string_view bytes, std::string* error);

  schema::Event::Reader reader() const { return root_; }
  // The stored bytes, exactly as hashed.
  std::string_view bytes() const { return bytes_; }
  Digest prevHash() const;
  Digest hash() const { return chainHash(prevHash(), bytes_); }

  DecodedEvent(DecodedEvent&&) = default;
  DecodedEvent& operator=(DecodedEvent&&) = default;

 private:
  DecodedEvent() = default;
  // Owns the aligned copy of the bytes and the reader over it; heap-held so that moving a
  // DecodedEvent keeps root_ valid.
  struct Message;
  std::string_view bytes_;  // the aligned copy's bytes, in *message_
  std::shared_ptr<Message> message_;
  schema::Event::Reader root_;
};

inline std::string_view dataView(capnp::Data::Reader d) {
  return {reinterpret_cast<const char*>(d.begin()), d.size()};
}
inline std::string_view textView(capnp::Text::Reader t) { return {t.begin(), t.size()}; }
// The bytes of `s` as a Data field's value (no copy: `s` must outlive the reader's use).
inline capnp::Data::Reader dataReader(std::string_view s) {
  return {reinterpret_cast<const capnp::byte*>(s.data()), s.size()};
}
// A stored digest field; a wrong size yields zeros (decode() has rejected such events already).
Digest digestField(capnp::Data::Reader d);

}  // namespace pitlog::events
