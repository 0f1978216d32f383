// Command validation on arbitrary names, descriptions, scopes and ids: never crashes, and what it
// accepts satisfies API.md's rules afterwards (trimmed non-empty name, sorted unique scopes from
// the catalogue).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "commands/validate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto catalogue = pitlog::commands::ScopeCatalogue::builtIn();
  std::string input(reinterpret_cast<const char*>(data), size);
  // Split the input into fields at 0x01 bytes: name, description, id, scopes...
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t i = 0; i <= input.size(); ++i) {
    if (i == input.size() || input[i] == '\x01') {
      parts.push_back(input.substr(start, i - start));
      start = i + 1;
    }
  }
  while (parts.size() < 4) parts.emplace_back();
  pitlog::commands::Command c;
  c.accountId = parts[2];
  c.actor = {parts[2], parts[2], pitlog::events::Role::admin};
  pitlog::commands::CreateIntegration create{parts[0], parts[1],
                                             std::vector<std::string>(parts.begin() + 3, parts.end())};
  c.action = create;
  if (!pitlog::commands::validate(c, catalogue)) {
    const auto& accepted = std::get<pitlog::commands::CreateIntegration>(c.action);
    if (accepted.name.empty() || accepted.scopes.empty()) __builtin_trap();
    if (!std::is_sorted(accepted.scopes.begin(), accepted.scopes.end())) __builtin_trap();
    for (const auto& s : accepted.scopes) {
      if (!catalogue.contains(s)) __builtin_trap();
    }
  }
  return 0;
}
