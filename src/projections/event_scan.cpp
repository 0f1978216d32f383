#include "projections/event_scan.h"

#include "events/keys.h"

namespace pitlog::projections {

namespace keys = events::keys;
using keys::Family;

namespace {

bool isCorruption(const events::StoreError& e) {
  return std::string_view(e.what()).find("Corruption") != std::string_view::npos;
}

// Reading from event `seq` on: does the first step succeed? Sets *next to the first key found
// (empty at the end of the range). A seek into a damaged block fails; one past it lands on the
// next readable block.
bool readableFrom(const events::Store& store, uint64_t seq, std::string_view to, std::string* next) {
  next->clear();
  try {
    store.scanRange(Family::events, keys::eventKey(seq), to, [&](std::string_view k, std::string_view) {
      next->assign(k);
      return false;
    });
    return true;
  } catch (const events::StoreError& e) {
    if (!isCorruption(e)) throw;
    return false;
  }
}

}  // namespace

void scanEventsPastDamage(const events::Store& store, std::string_view from, std::string_view to,
                          const std::function<bool(std::string_view, std::string_view)>& visit,
                          const std::function<bool(const UnreadableEvents&)>& damaged) {
  std::string start(from);
  const uint64_t end = to.empty() ? keys::kMaxSeq + 1 : keys::readFixed64(to).value_or(keys::kMaxSeq + 1);
  for (;;) {
    uint64_t lastSeq = keys::readFixed64(start).value_or(1);  // a seq before the next key read
    lastSeq = lastSeq == 0 ? 0 : lastSeq - 1;
    bool stopped = false;
    try {
      store.scanRange(Family::events, start, to, [&](std::string_view k, std::string_view v) {
        if (auto seq = keys::parseEventKey(k)) lastSeq = *seq;
        if (!visit(k, v)) stopped = true;
        return !stopped;
      });
      return;
    } catch (const events::StoreError& e) {
      if (stopped || !isCorruption(e)) throw;
      UnreadableEvents lost{lastSeq + 1, std::nullopt, e.what()};
      // The first sequence from which reading works again: double the step, then bisect.
      uint64_t bad = lastSeq + 1, step = 1;
      std::string next;
      std::optional<uint64_t> good;
      while (bad + step < end) {
        if (readableFrom(store, bad + step, to, &next)) {
          good = bad + step;
          break;
        }
        bad += step;
        step *= 2;
      }
      if (good) {
        while (*good - bad > 1) {
          const uint64_t mid = bad + (*good - bad) / 2;
          std::string found;
          if (readableFrom(store, mid, to, &found)) {
            good = mid;
          } else {
            bad = mid;
          }
        }
        readableFrom(store, *good, to, &next);
        if (!next.empty()) lost.last = *good - 1;
      }
      if (!damaged(lost) || next.empty()) return;
      start = next;
    }
  }
}

}  // namespace pitlog::projections
