// RFC 3339 and duration parsers: never crash, and every accepted time formats back to text that
// parses to the same instant (round trip at millisecond precision).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "events/time_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto t = pitlog::events::parseRfc3339(input)) {
    auto again = pitlog::events::parseRfc3339(pitlog::events::formatRfc3339(*t));
    if (!again || *again != *t) __builtin_trap();
  }
  if (auto d = pitlog::events::parseDuration(input)) {
    if (*d <= 0) __builtin_trap();
  }
  return 0;
}
