#include "commands/command.h"

#include <algorithm>

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

}  // namespace pitlog::commands
