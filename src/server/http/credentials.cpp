#include "server/http/credentials.h"

#include "commands/validate.h"
#include "server/http/parsing.h"

namespace pitlog::server::http {

namespace {

constexpr const char* kClientIdRule = "the client id must match ^[A-Za-z0-9._:-]{1,64}$";

Authentication refused(Authentication::Outcome outcome, CredentialForm form, std::string why) {
  Authentication a;
  a.outcome = outcome;
  a.form = form;
  a.problem = std::move(why);
  return a;
}

Authentication clientAuthenticated(CredentialForm form, std::string clientId) {
  Authentication a;
  a.outcome = Authentication::authenticated;
  a.form = form;
  a.clientId = std::move(clientId);
  return a;
}

}  // namespace

const char* credentialFormName(CredentialForm form) {
  switch (form) {
    case CredentialForm::bearer: return "bearer";
    case CredentialForm::basic: return "basic";
    case CredentialForm::form: return "form";
  }
  return "bearer";
}

Authentication authenticateHeader(const std::optional<std::string>& authorization,
                                  bool acceptsClientSecret, const ServiceKeys& keys) {
  if (!authorization) return refused(Authentication::missing, CredentialForm::bearer, "");
  if (auto key = bearerCredentials(*authorization)) {
    if (key->empty() || !keys.authenticate(*key)) {
      return refused(Authentication::wrongKey, CredentialForm::bearer,
                     "the service key is not valid");
    }
    Authentication a;
    a.outcome = Authentication::authenticated;
    return a;
  }
  if (!acceptsClientSecret) return refused(Authentication::missing, CredentialForm::bearer, "");
  auto basic = basicCredentials(*authorization);
  if (!basic) return refused(Authentication::missing, CredentialForm::bearer, "");
  if (!basic->wellFormed) {
    return refused(Authentication::wrongClientSecret, CredentialForm::basic,
                   "the Basic credentials must be base64 of <client id>:<service key>");
  }
  if (!commands::isValidId(basic->clientId)) {
    return refused(Authentication::wrongClientSecret, CredentialForm::basic, kClientIdRule);
  }
  // RFC 6749 §2.3.1 encodes the secret; a client that did not sent it as it is. A key holds no
  // '%' and no space, so at most one of the two readings can be a key.
  const bool valid =
      (!basic->secret.empty() && keys.authenticate(basic->secret)) ||
      (basic->secretAsSent != basic->secret && keys.authenticate(basic->secretAsSent));
  if (!valid) {
    return refused(Authentication::wrongClientSecret, CredentialForm::basic,
                   "the client secret is not a valid service key");
  }
  return clientAuthenticated(CredentialForm::basic, std::move(basic->clientId));
}

Authentication authenticateFormBody(std::string_view body, const ServiceKeys& keys) {
  auto fields = parseForm(body);
  if (!fields) {
    return refused(Authentication::missing, CredentialForm::bearer, "");
  }
  const std::string* id = nullptr;
  const std::string* secret = nullptr;
  int ids = 0, secrets = 0;
  for (const auto& [name, value] : *fields) {
    if (name == "client_id") {
      ++ids;
      id = &value;
    } else if (name == "client_secret") {
      ++secrets;
      secret = &value;
    }
  }
  if (secrets == 0) return refused(Authentication::missing, CredentialForm::bearer, "");
  if (secrets > 1 || ids > 1) {
    return refused(Authentication::wrongClientSecret, CredentialForm::form,
                   "client_id and client_secret may appear once each");
  }
  if (!id || !commands::isValidId(*id)) {
    return refused(Authentication::wrongClientSecret, CredentialForm::form, kClientIdRule);
  }
  if (secret->empty() || !keys.authenticate(*secret)) {
    return refused(Authentication::wrongClientSecret, CredentialForm::form,
                   "the client secret is not a valid service key");
  }
  return clientAuthenticated(CredentialForm::form, *id);
}

}  // namespace pitlog::server::http
