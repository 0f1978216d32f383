#pragma once
// What both campaign drivers say to pitd over HTTP, and how they judge an introspection answer.
// Tokens are handed in and out as plaintext but never appear in a returned description: callers
// print descriptions as they are, so every text built here names tokens by id or not at all.
#include <optional>
#include <string>
#include <vector>

#include "support/http_client.h"
#include "support/json.h"

namespace pitlog::campaigns {

using testing::Headers;
using testing::HttpResponse;
using testing::Json;

// The service key pitd wrote to <dataDir>/service.key at first start. Throws when absent.
std::string readServiceKey(const std::string& dataDir);

struct Actor {
  std::string user;
  std::string role;  // "admin" or "user"
};

// One request's headers: Authorization, the actor (when given), X-Request-Id (when not empty),
// Content-Type for a body, and `extra` (If-Match, Idempotency-Key).
Headers requestHeaders(const std::string& serviceKey, const std::optional<Actor>& actor,
                       const std::string& requestId, bool hasBody, const Headers& extra = {});

// JSON text of a string (quotes and escapes), and of a list of strings.
std::string jsonString(const std::string& s);
std::string jsonStrings(const std::vector<std::string>& items);

// The JSON body of POST /v1/introspect for a token.
std::string introspectBody(const std::string& token);

// What an introspection must answer. Inactive answers must be exactly {"active":false}.
struct ExpectedIntrospection {
  bool active = false;
  std::vector<std::string> scopes;  // sorted, as API.md returns them
  std::string accountId;
  std::string integrationId;
};

// "" when the 200 answer body matches; otherwise what differs (no token in the text).
std::string compareIntrospection(const std::string& body, const ExpectedIntrospection& expected);

// API.md's tokenId computed here from the plaintext (SHA-256, first 16 hex digits), without
// pitlog's code, so that a model built on it stays independent of the server.
std::string tokenIdOf(const std::string& token);

}  // namespace pitlog::campaigns
