// Stored view decoders (integrations and tokens families) on arbitrary bytes, as a damaged
// database would hand them to pitd at start or to pit-replay: never crash, and the encoding of
// whatever decodes is a fixed point (decode(encode(v)) encodes to the same bytes). Equality of
// the views themselves is too strong for arbitrary bytes: a text with an embedded NUL decodes
// but cannot be written back whole, and pitlog never writes such a text.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "projections/integration_view.h"
#include "projections/token_entry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  using namespace pitlog::projections;
  if (auto v = decodeIntegration(input)) {
    std::string once = encodeIntegration(*v);
    auto again = decodeIntegration(once);
    if (!again || encodeIntegration(*again) != once) __builtin_trap();
  }
  if (auto e = decodeTokenEntry(input)) {
    std::string once = encodeTokenEntry(*e);
    auto again = decodeTokenEntry(once);
    if (!again || encodeTokenEntry(*again) != once) __builtin_trap();
  }
  return 0;
}
