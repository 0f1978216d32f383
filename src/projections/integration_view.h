#pragma once
// The integration view and its pure fold: apply(view, event) is the only place that knows how an
// event changes an integration. The live writer, replay, as-of queries and the tests all call it.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "events/event.h"

namespace pitlog::projections {

using events::Digest;
using events::UnixMillis;

enum class TokenState { current, previous };

struct TokenRecord {
  Digest digest{};
  TokenState state = TokenState::current;
  UnixMillis issuedAt = 0;
  std::optional<UnixMillis> expiresAt;  // set for a previous token in a rotation window
  std::string hint;                     // the token's last 4 characters
  bool operator==(const TokenRecord&) const = default;
};

struct Rotation {
  UnixMillis startedAt = 0;
  UnixMillis previousExpiresAt = 0;
  bool operator==(const Rotation&) const = default;
};

struct IntegrationView {
  std::string id;
  std::string accountId;
  std::string name;
  std::string description;
  std::vector<std::string> scopes;  // sorted, unique
  bool deleted = false;
  uint32_t version = 0;  // the stream version of the last applied event; 0: does not exist
  UnixMillis createdAt = 0;
  std::string createdBy;
  uint64_t createdSeq = 0;
  UnixMillis updatedAt = 0;
  UnixMillis deletedAt = 0;
  uint64_t lastSeq = 0;
  std::vector<TokenRecord> tokens;  // current first, then previous ones
  std::optional<Rotation> rotation;

  bool exists() const { return version > 0; }
  const TokenRecord* current() const;
  // Tokens that verification accepts at `now`: deadlines are exclusive.
  std::vector<TokenRecord> validTokens(UnixMillis now) const;
  bool operator==(const IntegrationView&) const = default;
};

// The view after `event`, one event of this integration's stream. Events of other types or
// streams leave it unchanged. Tolerant of events naming unknown tokens (a damaged log must still
// replay to the end so that verification can name the first damaged event).
IntegrationView apply(IntegrationView view, const events::schema::Event::Reader& event);
// The same fold on a view in place (replay's projection step: no copy of the view per event).
// apply() is this on a copy.
void applyInPlace(IntegrationView& view, const events::schema::Event::Reader& event);

// A std::string as Cap'n Proto text, without the strlen() of kj's conversion from std::string
// (a std::string keeps the NUL behind its end that Text::Reader requires).
inline capnp::Text::Reader asText(const std::string& s) { return {s.data(), s.size()}; }

// Storage form (views.capnp, canonical encoding) and back.
std::string encodeIntegration(const IntegrationView& view);
std::optional<IntegrationView> decodeIntegration(std::string_view bytes);

}  // namespace pitlog::projections
