#include "projections/replay.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <exception>
#include <thread>

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

// The Merkle nodes the log appender wrote beside the event (events/merkle_store.h): the stored
// nodes leaf seq-1 completes, hashed by the ChainReader.
void indexTree(ViewStore& out, const events::merkle::Node* created, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    out.put(Family::merkle, keys::merkleNodeKey(created[i].level, created[i].index),
            events::Sha256::asView(created[i].hash));
  }
}

}  // namespace

ReplayReport replay(const events::Store& store, ViewStore& out, const ReplayOptions& options) {
  ReplayReport report;
  // The event linked to its predecessor but not yet vouched for, in place in its run: the run
  // that holds it (`run`, or `heldRun` once the next run came) stays alive until it is applied,
  // and then goes back to the reader, which frees its events on its own thread.
  const LinkedEvent* held = nullptr;
  const events::merkle::Node* heldNodes = nullptr;  // the Merkle nodes it completes
  ChainRun heldRun;
  auto applyHeld = [&] {
    if (!held) return;
    projectEvent(out, held->event.reader());
    indexStream(out, held->event.reader());
    indexTree(out, heldNodes, held->nodeCount);
    report.eventsApplied++;
    report.position = held->position;
    if (options.progress && held->position.lastSeq % 4096 == 0) options.progress(held->position.lastSeq);
    held = nullptr;
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
    for (const LinkedEvent& linked : run.events) {
      const bool pastSeq = options.toSeq != 0 && linked.position.lastSeq > options.toSeq;
      if (pastSeq || (options.until && linked.event.reader().getAt() > *options.until)) {
        applyHeld();
        return report;
      }
      applyHeld();
      held = &linked;
      heldNodes = run.nodes.data() + linked.firstNode;
    }
    if (!run.events.empty()) {
      // `held` is in this run now (moving a run keeps its events where they are).
      if (!heldRun.events.empty()) reader.recycle(std::move(heldRun));
      heldRun = std::move(run);
      if (!heldRun.last) continue;
    } else if (!run.last) {
      continue;
    }
    const ChainRun& ended = heldRun.last ? heldRun : run;
    const uint64_t heldSeq = held ? held->position.lastSeq : report.position.lastSeq;
    if (ended.named) {
      report.failedSeq = ended.named->seq;
      report.failure = ended.named->reason;
      return report;
    }
    if (ended.chainError) {
      auto diagnosis = events::diagnoseChainBreak(store, heldSeq + 1, *ended.chainError);
      if (held && diagnosis.seq > heldSeq) applyHeld();
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
  // Families are independent: two threads take them, the costliest first (integrations are
  // encoded as they are compared), and the first difference in family order is the answer.
  const auto& families = viewFamilies();
  std::vector<size_t> order(families.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_partition(order.begin(), order.end(),
                        [&](size_t i) { return families[i] == Family::integrations; });
  std::vector<std::optional<ViewDifference>> found(families.size());
  std::vector<std::exception_ptr> failures(2);
  std::atomic<size_t> next{0};
  auto work = [&](size_t worker) {
    try {
      for (size_t i; (i = next.fetch_add(1)) < order.size();) {
        found[order[i]] = compareFamily(store, rebuilt, families[order[i]]);
      }
    } catch (...) {
      failures[worker] = std::current_exception();
      next.store(order.size());
    }
  };
  std::thread helper(work, 1);
  work(0);
  helper.join();
  for (const auto& failure : failures) {
    if (failure) std::rethrow_exception(failure);
  }
  for (auto& diff : found) {
    if (diff) return std::move(diff);
  }
  return std::nullopt;
}

std::optional<ViewDifference> compareFamily(const events::Store& store,
                                            const MemoryViewStore& rebuilt, Family f) {
  // A merge of two sorted sequences: the stored family (one sequential scan) and its rebuild
  // (sorted once). Both advance together; the first key or value where they part is the
  // difference, in key order.
  std::optional<ViewDifference> diff;
  auto differ = [&](std::string_view key, std::string_view value, std::string what) {
    diff = ViewDifference{f, printable(f, key), lastWriter(f, key, value), std::move(what)};
  };
  events::Store::Cursor stored(store, f);
  rebuilt.forEachSorted(f, [&](std::string_view key, std::string_view value) {
    if (diff) return;
    const int order = stored.valid() ? stored.key().compare(key) : 1;
    if (order < 0) {
      differ(stored.key(), stored.value(), "stored but absent from the rebuild");
      return;
    }
    if (order > 0) {
      differ(key, value, "in the rebuild but not stored");
      return;
    }
    if (stored.value() != value) {
      differ(key, value, "stored value differs from the rebuild");
      return;
    }
    stored.next();
  });
  if (!diff && stored.valid()) differ(stored.key(), stored.value(), "stored but absent from the rebuild");
  return diff;
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
    rebuilt.forEachSorted(f, [&](std::string_view key, std::string_view value) {
      batch.Put(store.family(f), rocksdb::Slice(key.data(), key.size()),
                rocksdb::Slice(value.data(), value.size()));
    });
  }
  batch.Put(store.family(Family::meta),
            rocksdb::Slice(keys::kMetaViewsVersion.data(), keys::kMetaViewsVersion.size()),
            keys::fixed32(kViewsVersion));
  auto outcome = store.write(batch, true);
  if (!outcome.ok) throw events::StoreError("rebuild could not write the views: " + outcome.message);
  return report;
}

}  // namespace pitlog::projections
