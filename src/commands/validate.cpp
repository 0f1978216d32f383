#include "commands/validate.h"

#include "commands/webhook_types.h"

#include <algorithm>

namespace pitlog::commands {

bool isValidId(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdChars) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == ':' || c == '-';
  });
}

bool isPrintableAscii(std::string_view text, size_t maxChars) {
  if (text.empty() || text.size() > maxChars) return false;
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

bool isValidIdempotencyKey(std::string_view key) {
  return isPrintableAscii(key, kMaxIdempotencyKeyChars);
}

bool isValidRequestId(std::string_view id) { return isPrintableAscii(id, kMaxRequestIdChars); }

bool isValidUtf8(std::string_view s, size_t* chars) {
  size_t count = 0;
  for (size_t i = 0; i < s.size();) {
    auto b = static_cast<unsigned char>(s[i]);
    size_t len;
    uint32_t cp;
    if (b < 0x80) {
      len = 1;
      cp = b;
    } else if ((b & 0xe0) == 0xc0) {
      len = 2;
      cp = b & 0x1f;
    } else if ((b & 0xf0) == 0xe0) {
      len = 3;
      cp = b & 0x0f;
    } else if ((b & 0xf8) == 0xf0) {
      len = 4;
      cp = b & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xc0) != 0x80) return false;
      cp = cp << 6 | (c & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
    ++count;
  }
  if (chars) *chars = count;
  return true;
}

namespace {

bool hasControl(std::string_view s, bool allowNewlines) {
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (allowNewlines && (c == '\n' || c == '\t' || c == '\r')) continue;
    if (c < 0x20 || c == 0x7f) return true;
    // C1 controls U+0080..U+009F are encoded as 0xC2 0x80..0x9F.
    if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) <= 0x9f) return true;
  }
  return false;
}

std::string trimmed(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return std::string(s);
}

std::optional<Error> checkName(std::string& name) {
  size_t chars = 0;
  if (!isValidUtf8(name, &chars)) return invalidArgument("name is not valid UTF-8", "name");
  name = trimmed(name);
  isValidUtf8(name, &chars);
  if (chars == 0) return invalidArgument("name must not be empty", "name");
  if (chars > kMaxNameChars) {
    return invalidArgument("name is " + std::to_string(chars) + " characters; at most " +
                               std::to_string(kMaxNameChars) + " are allowed",
                           "name");
  }
  if (hasControl(name, false)) return invalidArgument("name contains a control character", "name");
  return std::nullopt;
}

std::optional<Error> checkDescription(const std::string& description) {
  size_t chars = 0;
  if (!isValidUtf8(description, &chars)) {
    return invalidArgument("description is not valid UTF-8", "description");
  }
  if (chars > kMaxDescriptionChars) {
    return invalidArgument("description is " + std::to_string(chars) + " characters; at most " +
                               std::to_string(kMaxDescriptionChars) + " are allowed",
                           "description");
  }
  if (hasControl(description, true)) {
    return invalidArgument("description contains a control character", "description");
  }
  return std::nullopt;
}

std::optional<Error> checkScopes(std::vector<std::string>& scopes, const ScopeCatalogue& catalogue) {
  if (scopes.empty()) return invalidArgument("scopes must name at least one scope", "scopes");
  if (scopes.size() > kMaxScopes) {
    return invalidArgument("scopes has " + std::to_string(scopes.size()) + " entries; at most " +
                               std::to_string(kMaxScopes) + " are allowed",
                           "scopes");
  }
  for (const auto& s : scopes) {
    if (!catalogue.contains(s)) {
      bool printable = isValidUtf8(s) && !hasControl(s, false) && s.size() <= 128;
      return invalidArgument(
          printable ? "scope '" + s + "' is not in the catalogue (GET /v1/scopes lists them)"
                    : std::string("a scope is not in the catalogue (GET /v1/scopes lists them)"),
          "scopes");
    }
  }
  std::sort(scopes.begin(), scopes.end());
  scopes.erase(std::unique(scopes.begin(), scopes.end()), scopes.end());
  return std::nullopt;
}

std::optional<Error> checkIntegrationId(const std::string& id) {
  if (!isValidId(id)) return invalidArgument("integration id is malformed", "integrationId");
  return std::nullopt;
}

// A caller's text quoted in an error message: as is when printable ASCII, else a placeholder
// (a control character must not reach a message or a log line).
std::string printableOrEscaped(const std::string& text) {
  return isPrintableAscii(text, 100) ? text : std::string("(unprintable)");
}

struct ActionValidator {
  const ScopeCatalogue& catalogue;
  std::optional<Error> operator()(CreateIntegration& c) {
    if (auto e = checkName(c.name)) return e;
    if (auto e = checkDescription(c.description)) return e;
    return checkScopes(c.scopes, catalogue);
  }
  std::optional<Error> operator()(EditIntegration& c) {
    if (auto e = checkIntegrationId(c.integrationId)) return e;
    if (!c.name && !c.description && !c.scopes) {
      return invalidArgument("an edit must change at least one of name, description, scopes");
    }
    if (c.name) {
      if (auto e = checkName(*c.name)) return e;
    }
    if (c.description) {
      if (auto e = checkDescription(*c.description)) return e;
    }
    if (c.scopes) return checkScopes(*c.scopes, catalogue);
    return std::nullopt;
  }
  std::optional<Error> operator()(RotateToken& c) { return checkIntegrationId(c.integrationId); }
  std::optional<Error> operator()(CancelRotation& c) { return checkIntegrationId(c.integrationId); }
  std::optional<Error> operator()(ExpireRotationNow& c) {
    return checkIntegrationId(c.integrationId);
  }
  std::optional<Error> operator()(ExpireElapsedWindow& c) {
    return checkIntegrationId(c.integrationId);
  }
  std::optional<Error> operator()(DeleteIntegration& c) {
    return checkIntegrationId(c.integrationId);
  }
  std::optional<Error> operator()(SetPermission& c) {
    if (!isValidId(c.userId)) return invalidArgument("user id is malformed", "userId");
    return std::nullopt;
  }
  std::optional<Error> operator()(SubscribeWebhook& c) {
    if (!isValidId(c.webhookId)) return invalidArgument("webhook id is malformed", "webhookId");
    if (!isPrintableAscii(c.url, kMaxWebhookUrlChars)) {
      return invalidArgument("url must be 1-" + std::to_string(kMaxWebhookUrlChars) +
                                 " printable ASCII characters",
                             "url");
    }
    if (c.events.empty()) return invalidArgument("events must name at least one type", "events");
    for (const auto& type : c.events) {
      if (!isWebhookEventType(type)) {
        return invalidArgument("events: '" + printableOrEscaped(type) +
                                   "' is not a webhook event type",
                               "events");
      }
    }
    std::sort(c.events.begin(), c.events.end());
    if (std::adjacent_find(c.events.begin(), c.events.end()) != c.events.end()) {
      return invalidArgument("events names a type twice", "events");
    }
    return std::nullopt;
  }
  std::optional<Error> operator()(RemoveWebhook& c) {
    if (!isValidId(c.webhookId)) return invalidArgument("webhook id is malformed", "webhookId");
    return std::nullopt;
  }
  std::optional<Error> operator()(RevokeTokens& c) {
    if (c.tokens.size() > kMaxRevokedTokens) {
      return invalidArgument("tokens has " + std::to_string(c.tokens.size()) +
                                 " entries; at most " + std::to_string(kMaxRevokedTokens) +
                                 " are allowed",
                             "tokens");
    }
    if (c.source && c.source->empty()) c.source.reset();  // "" says nothing: unset
    if (!c.source) return std::nullopt;
    size_t chars = 0;
    if (!isValidUtf8(*c.source, &chars)) {
      return invalidArgument("source is not valid UTF-8", "source");
    }
    if (chars > kMaxRevocationSourceChars) {
      return invalidArgument("source is " + std::to_string(chars) + " characters; at most " +
                                 std::to_string(kMaxRevocationSourceChars) + " are allowed",
                             "source");
    }
    if (hasControl(*c.source, false)) {
      return invalidArgument("source contains a control character", "source");
    }
    return std::nullopt;
  }
};

// The commands no user may send, each with the one system actor that sends it: the scheduler's
// expiry, and revocation by value (whoever holds a token may kill it: no account, no user).
std::optional<Error> checkSystemCommand(const Command& command) {
  const bool system = command.actor.role == events::Role::system;
  const bool scheduler = std::holds_alternative<ExpireElapsedWindow>(command.action);
  const bool revocation = std::holds_alternative<RevokeTokens>(command.action);
  if (revocation) {
    if (!system || command.actor.userId != revocationActor().userId || !command.accountId.empty() ||
        command.idempotency || command.ifMatch) {
      return Error{Code::permissionDenied,
                   "a revocation is made by the revocation actor, for no account, without "
                   "If-Match or Idempotency-Key",
                   {}};
    }
    return std::nullopt;
  }
  if (system != scheduler) {
    return Error{Code::permissionDenied, "only the expiry scheduler may expire elapsed windows", {}};
  }
  return std::nullopt;
}

}  // namespace

std::optional<Error> validate(Command& command, const ScopeCatalogue& catalogue) {
  const bool system = command.actor.role == events::Role::system;
  if (auto e = checkSystemCommand(command)) return e;
  const bool revocation = std::holds_alternative<RevokeTokens>(command.action);
  if (!revocation && !isValidId(command.accountId)) {
    return invalidArgument("account id is malformed", "accountId");
  }
  if (!system && !isValidId(command.actor.userId)) {
    return invalidArgument("actor user id is malformed", "X-Actor-User");
  }
  // Empty is "none" (the scheduler's commands carry no request id).
  if (!command.requestId.empty() && !isValidRequestId(command.requestId)) {
    return invalidArgument("the request id must be 1-128 printable ASCII characters",
                           "X-Request-Id");
  }
  if (command.idempotency && !isValidIdempotencyKey(command.idempotency->key)) {
    return invalidArgument("Idempotency-Key must be 1-128 printable ASCII characters",
                           "Idempotency-Key");
  }
  if (command.ifMatch && command.ifMatch->versions.size() > kMaxIfMatchVersions) {
    return invalidArgument("If-Match lists " + std::to_string(command.ifMatch->versions.size()) +
                               " versions; at most " + std::to_string(kMaxIfMatchVersions) +
                               " are allowed",
                           "If-Match");
  }
  if (auto e = std::visit(ActionValidator{catalogue}, command.action)) return e;
  if (command.idempotency && command.idempotency->fingerprint == events::Digest{}) {
    command.idempotency->fingerprint = fingerprintOf(command.action);
  }
  return std::nullopt;
}

std::optional<Error> validate(const ListQuery& query) {
  if (query.staleAfterDays && *query.staleAfterDays > kMaxStaleAfterDays) {
    return invalidArgument("staleAfterDays must be an integer from 0 to " +
                               std::to_string(kMaxStaleAfterDays),
                           "staleAfterDays");
  }
  if (query.unusedForDays && *query.unusedForDays > kMaxStaleAfterDays) {
    return invalidArgument("unusedForDays must be an integer from 0 to " +
                               std::to_string(kMaxStaleAfterDays),
                           "unusedForDays");
  }
  return std::nullopt;
}

void keepStale(std::vector<projections::IntegrationView>& views, int64_t now, uint64_t days) {
  constexpr int64_t kDayMs = 24LL * 3600 * 1000;
  const int64_t cutoff = now - static_cast<int64_t>(days) * kDayMs;
  std::erase_if(views, [&](const projections::IntegrationView& v) {
    const auto* current = v.current();
    return v.deleted || current == nullptr || current->issuedAt >= cutoff;
  });
}

void keepUnused(std::vector<projections::IntegrationView>& views, int64_t now, uint64_t days,
                const std::function<std::optional<int64_t>(const events::Digest&)>& lastUsed) {
  constexpr int64_t kDayMs = 24LL * 3600 * 1000;
  const int64_t cutoff = now - static_cast<int64_t>(days) * kDayMs;
  std::erase_if(views, [&](const projections::IntegrationView& v) {
    if (v.deleted) return true;
    for (const auto& t : v.validTokens(now)) {
      if (lastUsed(t.digest).value_or(t.issuedAt) >= cutoff) return true;  // used lately
    }
    return false;
  });
}

std::optional<Error> validate(const AuditQuery& query) {
  if (query.after > kMaxAuditAfter) {
    return invalidArgument("after must be an integer from 0 to " + std::to_string(kMaxAuditAfter),
                           "after");
  }
  if (query.limit < 1 || query.limit > kMaxAuditLimit) {
    return invalidArgument("limit must be an integer from 1 to " + std::to_string(kMaxAuditLimit),
                           "limit");
  }
  if (query.since && query.until && *query.since > *query.until) {
    return invalidArgument("since must not be after until", "since");
  }
  return std::nullopt;
}

}  // namespace pitlog::commands
