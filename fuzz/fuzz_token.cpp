// Token parser and checksum: never crashes, and a token it accepts always re-derives its own
// checksum (the property a secret scanner relies on).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "commands/token.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (pitlog::commands::isWellFormedToken(input)) {
    auto random = input.substr(4, pitlog::commands::kTokenRandomChars);
    if (pitlog::commands::tokenChecksum(random) != input.substr(4 + random.size())) __builtin_trap();
  }
  (void)pitlog::commands::tokenChecksum(input);
  return 0;
}
