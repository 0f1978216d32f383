// The event decoder fed arbitrary bytes, as pit-dump and replay meet them in a damaged log; what
// it accepts goes on through the projection step and the JSON rendering, which must not crash on
// any event that decodes (unknown tokens, empty ids, absurd times).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "events/event.h"
#include "events/event_json.h"
#include "events/log.h"
#include "projections/projector.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string error;
  auto event = pitlog::events::DecodedEvent::decode(input, &error);
  pitlog::events::ChainVerifier chain;
  (void)chain.feed(1, input);
  if (!event) return 0;
  (void)event->hash();
  (void)pitlog::events::eventToJson(*event);
  pitlog::projections::MemoryViewStore views;
  std::vector<pitlog::projections::TokenChange> changes;
  auto view = pitlog::projections::project(views, event->reader(), &changes);
  // Applying the same event again to the result must not crash either.
  (void)pitlog::projections::project(views, event->reader(), &changes);
  (void)pitlog::projections::encodeIntegration(view);
  return 0;
}
