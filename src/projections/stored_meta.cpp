#include "projections/stored_meta.h"

#include "events/digest.h"
#include "events/keys.h"

namespace pitlog::projections {

namespace keys = events::keys;
using keys::Family;

namespace {

std::string size(size_t n) { return std::to_string(n) + (n == 1 ? " byte" : " bytes"); }

}  // namespace

uint64_t lastStoredEventSeq(const events::Store& store) {
  uint64_t last = 0;
  try {
    store.scanRangeReverse(Family::events, std::string_view(""), {},
                           [&](std::string_view key, std::string_view) {
                             if (auto seq = keys::parseEventKey(key)) {
                               last = *seq;
                               return false;
                             }
                             return true;  // a malformed key: the chain check names it
                           });
  } catch (const events::StoreError&) {
    return 0;  // the last block is unreadable: the chain check names the events it held
  }
  return last;
}

std::optional<std::string> checkStoredMeta(const events::Store& store) {
  std::optional<std::string> finding;
  bool sawSchema = false, sawLastSeq = false, sawHead = false;
  uint64_t lastSeq = 0;
  store.scanPrefix(Family::meta, {}, [&](std::string_view key, std::string_view value) {
    if (key == keys::kMetaSchemaVersion) {
      sawSchema = true;
      auto v = keys::readFixed32(value);
      if (!v) {
        finding = "meta/schema_version is damaged (" + size(value.size()) + ", not 4)";
      } else if (*v == 0 || *v > keys::kSchemaVersion) {
        finding = "meta/schema_version is " + std::to_string(*v) + ", not a version pitlog wrote";
      }
    } else if (key == keys::kMetaLastSeq) {
      sawLastSeq = true;
      auto v = keys::readFixed64(value);
      if (!v) {
        finding = "meta/last_seq is damaged (" + size(value.size()) + ", not 8)";
      } else if (*v > keys::kMaxSeq) {
        finding = "meta/last_seq is damaged: it records " + std::to_string(*v) +
                  ", beyond the largest sequence pitlog writes (" + std::to_string(keys::kMaxSeq) +
                  ")";
      } else {
        lastSeq = *v;
      }
    } else if (key == keys::kMetaChainHead) {
      sawHead = true;
      if (value.size() != 32) {
        finding = "meta/chain_head is damaged (" + size(value.size()) + ", not 32)";
      }
    } else if (key == keys::kMetaViewsVersion) {
      if (value.size() != 4) {
        finding = "meta/views_version is damaged (" + size(value.size()) + ", not 4)";
      }
    } else if (key == keys::kMetaStreamPosition) {
      // A cluster node's data dir (API.md: pit-replay works on it unchanged).
      if (value.size() != 8) {
        finding = "meta/stream_position is damaged (" + size(value.size()) + ", not 8)";
      }
    } else {
      finding = "the meta family holds a key pitlog never writes: 0x" +
                events::toHex(key.substr(0, 32)) + " (" + size(key.size()) + ")";
    }
    return !finding;
  });
  if (finding) return finding;
  if (!sawSchema) return std::string("meta/schema_version is missing");
  const uint64_t stored = lastStoredEventSeq(store);
  if (!sawLastSeq && stored > 0) {
    return "meta/last_seq is missing, but the log holds events (to " + std::to_string(stored) +
           ")";
  }
  if (!sawHead && lastSeq > 0) {
    return "meta/chain_head is missing, but meta/last_seq records " + std::to_string(lastSeq);
  }
  return std::nullopt;
}

}  // namespace pitlog::projections
