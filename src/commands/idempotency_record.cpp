#include "commands/idempotency_record.h"

#include <capnp/message.h>

#include "commands/idempotency.capnp.h"
#include "events/stored_value.h"

namespace pitlog::commands {

std::string encodeIdempotency(const IdempotencyEntry& e) {
  capnp::MallocMessageBuilder message(64);
  auto b = message.initRoot<schema::IdempotencyRecord>();
  b.setFingerprint(capnp::Data::Reader(e.fingerprint.data(), e.fingerprint.size()));
  b.setAt(e.at);
  b.setIntegrationId(e.integrationId);
  b.setVersion(e.version);
  b.setFirstSeq(e.firstSeq);
  b.setLastSeq(e.lastSeq);
  b.setUserId(e.userId);
  b.setAllowed(e.allowed);
  return events::canonicalBytes(b.asReader());
}

std::optional<IdempotencyEntry> decodeIdempotency(std::string_view bytes) {
  return events::readStoredValue<schema::IdempotencyRecord>(bytes, [](schema::IdempotencyRecord::Reader r) {
    IdempotencyEntry e;
    e.fingerprint = events::digestField(r.getFingerprint());
    e.at = r.getAt();
    e.integrationId = events::textView(r.getIntegrationId());
    e.version = r.getVersion();
    e.firstSeq = r.getFirstSeq();
    e.lastSeq = r.getLastSeq();
    e.userId = events::textView(r.getUserId());
    e.allowed = r.getAllowed();
    return e;
  });
}

}  // namespace pitlog::commands
