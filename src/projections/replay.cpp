#include "projections/replay.h"

#include <algorithm>
#include <cctype>

#include "projections/chain_reader.h"
#include "projections/projector.h"
#include "projections/stored_meta.h"
#include "projections/integration_view.h"

namespace pitlog::projections {

using events::DecodedEvent;
namespace keys = events::keys;

// An event's bytes are vouched for only by the hash recorded after it (its successor's prevHash,
// or meta/chain_head for the last event). So each event is applied once the next link holds, and
// when the chain breaks, events::diagnoseChainBreak() names the altered event; the views then hold
// only the events before it. Reading and verifying run ahead on their own thread (ChainReader).
namespace {

// The stream index entry the log appender wrote beside the event (events::LogAppender::append).
void indexStream(ViewStore& out, const events::schema::Event::Reader& event) {
  const auto id = event.getStreamId();
  out.put(Family::streams, keys::streamKey({id.begin(), id.size()}, event.getStreamVersion()),
          keys::fixed64(event.getSeq()));
}

// The Merkle nodes the log appender wrote beside the event (events/merkle_store.h): leaf seq-1.
void indexTree(ViewStore& out, events::merkle::TreeAppender& tree,
               std::vector<events::merkle::Node>& created, const DecodedEvent& event) {
  created.clear();
  tree.append(events::merkle::eventLeafHash(event.hash()), &created);
  for (const auto& n : created) {
    out.put(Family::merkle, keys::merkleNodeKey(n.level, n.index), events::Sha256::asView(n.hash));
  }
}

}  // namespace

ReplayReport replay(const events::Store& store, ViewStore& out, const ReplayOptions& options) {
  ReplayReport report;
  std::optional<DecodedEvent> held;  // linked to its predecessor, not yet vouched for
  events::merkle::TreeAppender tree;
  std::vector<events::merkle::Node> created;
  events::ChainPosition heldPosition;
  auto applyHeld = [&] {
    if (!held) return;
    project(out, held->reader());
    indexStream(out, held->reader());
    indexTree(out, tree, created, *held);
    report.eventsApplied++;
    report.position = heldPosition;
    if (options.progress && heldPosition.lastSeq % 4096 == 0) options.progress(heldPosition.lastSeq);
    held.reset();
  };
  // Presized from the last event key actually stored, never from meta/last_seq: a damaged meta
  // value is a finding for the chain check, not a size to allocate.
  const uint64_t stored = lastStoredEventSeq(store);
  out.expectEvents(options.toSeq != 0 ? std::min(options.toSeq, stored) : stored);
  // The reader also hands event toSeq+1, whose prevHash vouches for event toSeq; at the end of
  // the log meta/chain_head vouches for the last event. So every applied event is verified.
  ChainReader reader(store, options.toSeq);
  for (;;) {
    ChainRun run = reader.next();
    for (LinkedEvent& linked : run.events) {
      const bool pastSeq = options.toSeq != 0 && linked.position.lastSeq > options.toSeq;
      if (pastSeq || (options.until && linked.event.reader().getAt() > *options.until)) {
        applyHeld();
        return report;
      }
      applyHeld();
      held = std::move(linked.event);
      heldPosition = linked.position;
    }
    if (!run.last) continue;
    if (run.named) {
      report.failedSeq = run.named->seq;
      report.failure = run.named->reason;
      return report;
    }
    if (run.chainError) {
      auto diagnosis = events::diagnoseChainBreak(store, heldPosition.lastSeq + 1, *run.chainError);
      if (held && diagnosis.seq > heldPosition.lastSeq) applyHeld();
      // Bounded by sequence, damage after the bound is not in the answer's past.
      if (options.toSeq != 0 && diagnosis.seq > options.toSeq) return report;
      report.failedSeq = diagnosis.seq;
      report.failure = diagnosis.reason;
      return report;
    }
    applyHeld();
    return report;
  }
}

namespace {

std::string printable(Family f, std::string_view key) {
  bool binary = std::any_of(key.begin(), key.end(), [](char c) {
    return !std::isprint(static_cast<unsigned char>(c));
  });
  if (!binary) return std::string(key);
  if (f == Family::tokens) return "digest " + events::toHex(key);
  std::string out;
  for (char c : key) {
    if (c == '\0') {
      out += "\\0";
    } else if (std::isprint(static_cast<unsigned char>(c))) {
      out.push_back(c);
    } else {
      out += "\\x" + events::toHex(std::string_view(&c, 1));
    }
  }
  return out;
}

uint64_t lastWriter(Family f, std::string_view key, std::string_view value) {
  if (f == Family::integrations) {
    if (auto v = decodeIntegration(value)) return v->lastSeq;
  }
  if (f == Family::streams) return keys::readFixed64(value).value_or(0);  // the event it indexes
  if (f == Family::auditByAccount) {
    return keys::readFixed64(keys::afterAccountPrefix(key)).value_or(0);
  }
  if (f == Family::merkle && !key.empty()) {  // node (L, I) is complete with event (I+1)·2^L
    auto level = static_cast<unsigned char>(key[0]);
    auto index = keys::readFixed64(key.substr(1));
    if (index && level < 32) return (*index + 1) << level;
  }
  return 0;
}

}  // namespace

std::optional<ViewDifference> compareViews(const events::Store& store,
                                           const MemoryViewStore& rebuilt) {
  for (Family f : viewFamilies()) {
    // Fast path, one lookup per stored entry: the family equals its rebuild exactly when every
    // stored entry is held by the rebuild and the counts agree. Sorting the rebuild (below) is
    // needed only to name the first difference in key order.
    size_t held = 0;
    bool differs = false;
    store.scanPrefix(f, {}, [&](std::string_view key, std::string_view value) {
      if (!rebuilt.holds(f, key, value)) {
        differs = true;
        return false;
      }
      held++;
      return true;
    });
    if (!differs && held == rebuilt.size(f)) continue;

    const auto& expected = rebuilt.family(f);
    auto next = expected.begin();
    std::optional<ViewDifference> diff;
    auto differ = [&](std::string_view key, std::string_view value, std::string what) {
      diff = ViewDifference{f, printable(f, key), lastWriter(f, key, value), std::move(what)};
    };
    store.scanPrefix(f, {}, [&](std::string_view key, std::string_view value) {
      if (next == expected.end() || std::string_view(next->first) > key) {
        differ(key, value, "stored but absent from the rebuild");
        return false;
      }
      if (std::string_view(next->first) < key) {
        differ(next->first, next->second, "in the rebuild but not stored");
        return false;
      }
      if (next->second != value) {
        differ(key, next->second, "stored value differs from the rebuild");
        return false;
      }
      ++next;
      return true;
    });
    if (!diff && next != expected.end()) {
      differ(next->first, next->second, "in the rebuild but not stored");
    }
    if (diff) return diff;
  }
  return std::nullopt;
}

ReplayReport rebuildStoredViews(events::Store& store) {
  MemoryViewStore rebuilt;
  ReplayReport report = replay(store, rebuilt);
  if (!report.ok()) return report;
  rocksdb::WriteBatch batch;
  for (Family f : viewFamilies()) {
    store.scanPrefix(f, {}, [&](std::string_view key, std::string_view) {
      batch.Delete(store.family(f), rocksdb::Slice(key.data(), key.size()));
      return true;
    });
    for (const auto& [key, value] : rebuilt.family(f)) batch.Put(store.family(f), key, value);
  }
  batch.Put(store.family(Family::meta),
            rocksdb::Slice(keys::kMetaViewsVersion.data(), keys::kMetaViewsVersion.size()),
            keys::fixed32(kViewsVersion));
  auto outcome = store.write(batch, true);
  if (!outcome.ok) throw events::StoreError("rebuild could not write the views: " + outcome.message);
  return report;
}

}  // namespace pitlog::projections
