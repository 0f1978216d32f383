#pragma once
// Events as short text for people: the one-line form of pit-dump and the words of pit-replay's
// audit trail. Never prints more of a token than API.md's views do (tokenId, last 4 characters).
#include <string>
#include <string_view>
#include <vector>

#include "events/event.h"

namespace pitlog::tools {

// "alice (admin) of acct-1", or "system".
std::string actorText(events::schema::Actor::Reader actor);
// Compact: "acct-1/alice:admin", or "system".
std::string actorShort(events::schema::Actor::Reader actor);

// The body's values in key=value form: `name="CRM sync" scopes=a,b token=4041424344454647`.
std::string dataSummary(events::schema::Event::Body::Reader body);

// A quoted string with control characters and quotes escaped, for one-line output.
std::string quotedText(std::string_view s);
// At most maxBytes of s, cut at a UTF-8 character boundary, with "…" when anything was cut.
std::string shortened(std::string_view s, size_t maxBytes);
std::string joinList(const std::vector<std::string>& items, std::string_view separator);
std::string tokenIdOf(capnp::Data::Reader digest);

}  // namespace pitlog::tools
