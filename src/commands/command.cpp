#include "commands/command.h"

#include <algorithm>

#include "events/digest.h"

namespace pitlog::commands {

bool IfMatch::matches(uint32_t version) const {
  return any || std::find(versions.begin(), versions.end(), version) != versions.end();
}

const std::string& targetIntegration(const Action& action) {
  static const std::string kNone;
  return std::visit(
      [](const auto& a) -> const std::string& {
        if constexpr (requires { a.integrationId; }) {
          return a.integrationId;
        } else {
          return kNone;
        }
      },
      action);
}

bool issuesToken(const Action& action) {
  return std::holds_alternative<CreateIntegration>(action) ||
         std::holds_alternative<RotateToken>(action);
}

namespace {

// "<length>:<bytes>" per part: no two lists of parts encode alike.
class Canonical {
 public:
  explicit Canonical(std::string_view operation) { add(operation); }
  Canonical& add(std::string_view part) {
    bytes_ += std::to_string(part.size());
    bytes_ += ':';
    bytes_ += part;
    return *this;
  }
  Canonical& add(const std::vector<std::string>& parts) {
    add(std::to_string(parts.size()));
    for (const auto& p : parts) add(p);
    return *this;
  }
  template <typename T>
  Canonical& addOptional(std::string_view name, const std::optional<T>& value) {
    if (!value) return add("-");
    add(name);
    return add(*value);
  }
  events::Digest finish() const { return events::sha256(bytes_); }

 private:
  std::string bytes_;
};

struct Fingerprinter {
  events::Digest operator()(const CreateIntegration& a) const {
    return Canonical("create").add(a.name).add(a.description).add(a.scopes).finish();
  }
  events::Digest operator()(const EditIntegration& a) const {
    return Canonical("edit")
        .add(a.integrationId)
        .addOptional("name", a.name)
        .addOptional("description", a.description)
        .addOptional("scopes", a.scopes)
        .finish();
  }
  events::Digest operator()(const RotateToken& a) const {
    return Canonical("rotate")
        .add(a.integrationId)
        .add(a.expire == ExpireMode::later ? "later" : "now")
        .finish();
  }
  events::Digest operator()(const CancelRotation& a) const {
    return Canonical("cancelRotation").add(a.integrationId).finish();
  }
  events::Digest operator()(const ExpireRotationNow& a) const {
    return Canonical("expireNow").add(a.integrationId).finish();
  }
  events::Digest operator()(const ExpireElapsedWindow& a) const {
    return Canonical("expireElapsedWindow").add(a.integrationId).finish();
  }
  events::Digest operator()(const DeleteIntegration& a) const {
    return Canonical("delete").add(a.integrationId).finish();
  }
  events::Digest operator()(const RevokeTokens& a) const {
    Canonical c("revoke");
    c.add(std::to_string(a.tokens.size()));
    for (const auto& d : a.tokens) {
      c.add(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
    }
    return c.addOptional("source", a.source).finish();
  }
  // The key's fingerprint is the node's, not the caller's: it is not part of "the same request".
  events::Digest operator()(const SubscribeWebhook& a) const {
    return Canonical("subscribeWebhook").add(a.webhookId).add(a.url).add(a.events).finish();
  }
  events::Digest operator()(const RemoveWebhook& a) const {
    return Canonical("removeWebhook").add(a.webhookId).finish();
  }
  events::Digest operator()(const SetPermission& a) const {
    return Canonical("setPermission").add(a.userId).add(a.allowed ? "true" : "false").finish();
  }
};

}  // namespace

events::Digest fingerprintOf(const Action& action) { return std::visit(Fingerprinter{}, action); }

}  // namespace pitlog::commands
