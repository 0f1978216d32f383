#pragma once
// Who is calling: the service key, in the forms the matched route accepts (router.h's Access).
//   - `Authorization: Bearer <key>`, on every route that needs a key;
//   - on a route declared Access::serviceKeyOrClientSecret, also the key as an OAuth client
//     secret (RFC 6749 §2.3.1), as stock gateways send it to an introspection endpoint:
//     `Authorization: Basic base64(<client id>:<key>)` (client_secret_basic), or the form
//     parameters `client_id` and `client_secret` in the body (client_secret_post).
// The client id (1-64 characters of the id pattern) is logged and counted; it authorizes nothing
// by itself: only the secret is checked. An Authorization header that carries Bearer or Basic
// decides alone; the body is read for credentials only when it carries neither (RFC 6749 §2.3:
// one method per request). Pure functions of their input and the keys: no I/O.
#include <optional>
#include <string>
#include <string_view>

#include "server/service_keys.h"

namespace pitlog::server::http {

enum class CredentialForm { bearer, basic, form };

// "bearer", "basic", "form": the metrics label and the access log's `auth` field.
const char* credentialFormName(CredentialForm form);

struct Authentication {
  enum Outcome {
    authenticated,
    missing,            // no credentials in a form the route accepts: the Bearer challenge
    wrongKey,           // a Bearer credential that is not a key: Bearer error="invalid_token"
    wrongClientSecret,  // Basic or form credentials that do not hold a key: Basic realm="pitlog"
  };
  Outcome outcome = missing;
  CredentialForm form = CredentialForm::bearer;
  std::string clientId;  // Basic and form; set only when authenticated
  std::string problem;   // why not, for the 401's message (never a secret)
};

// From the Authorization header alone. `acceptsClientSecret`: the route takes Basic (else a
// Basic header is "another scheme", as any unknown one: missing).
Authentication authenticateHeader(const std::optional<std::string>& authorization,
                                  bool acceptsClientSecret, const ServiceKeys& keys);

// From `client_id` and `client_secret` in an application/x-www-form-urlencoded body, each
// exactly once (other parameters are the route's own). No client_secret at all is `missing`.
Authentication authenticateFormBody(std::string_view body, const ServiceKeys& keys);

}  // namespace pitlog::server::http
