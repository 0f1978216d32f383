#include "commands/last_use_store.h"

#include <rocksdb/write_batch.h>

#include <cstring>

#include "events/keys.h"

namespace pitlog::commands {

namespace keys = events::keys;
using keys::Family;

void LocalLastUseStore::load(
    const std::function<void(const events::Digest&, events::UnixMillis)>& each) {
  store_.scanPrefix(Family::lastUse, {}, [&](std::string_view key, std::string_view value) {
    const auto at = keys::readFixed64(value);
    // A key or value pitd never writes is skipped (and stays): last use decides nothing.
    if (key.size() != LastUseTable::kKeyBytes || !at || *at == 0 || *at > INT64_MAX) return true;
    events::Digest d{};
    std::memcpy(d.data(), key.data(), key.size());
    each(d, static_cast<events::UnixMillis>(*at));
    return true;
  });
}

bool LocalLastUseStore::flush(const LastUseTable::Changes& changes, std::string* error) {
  rocksdb::WriteBatch batch;
  auto* family = store_.family(Family::lastUse);
  for (const auto& d : changes.forgotten) batch.Delete(family, keys::lastUseKey(d));
  for (const auto& u : changes.used) {
    batch.Put(family, keys::lastUseKey(u.digest), keys::fixed64(static_cast<uint64_t>(u.at)));
  }
  const auto outcome = store_.write(batch, sync_);
  if (!outcome.ok) *error = outcome.message;
  return outcome.ok;
}

}  // namespace pitlog::commands
