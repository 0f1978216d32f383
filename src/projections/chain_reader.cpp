#include "projections/chain_reader.h"

#include "events/merkle_store.h"
#include "projections/event_scan.h"

namespace pitlog::projections {

namespace {
constexpr size_t kRunLength = 256;  // events handed over at once: one lock per run, not per event
constexpr size_t kRunsAhead = 16;   // how far reading may get ahead of the fold (bounds memory)
}  // namespace

ChainReader::ChainReader(const events::Store& store, uint64_t toSeq)
    : thread_([this, &store, toSeq] { read(store, toSeq); }) {}

ChainReader::~ChainReader() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

bool ChainReader::hand(ChainRun run) {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return stopping_ || runs_.size() < kRunsAhead; });
  if (stopping_) return false;
  runs_.push_back(std::move(run));
  lock.unlock();
  changed_.notify_all();
  return true;
}

void ChainReader::read(const events::Store& store, uint64_t toSeq) {
  try {
    events::ChainVerifier chain;
    events::merkle::TreeAppender tree;
    std::vector<events::merkle::Node> created;
    ChainRun run = emptyRun();
    std::optional<events::DecodedEvent> event;
    bool handed = true;
    bool endedAtBound = false;  // read event toSeq+1: the log goes on, meta is not its end
    // From the empty key (a non-null one: RocksDB compares its data), not from event 1: a stray key sorting before event 1 is a finding too.
    const std::string end = toSeq == 0 ? std::string() : events::keys::eventKey(toSeq + 2);
    auto unreadable = [&](const UnreadableEvents& lost) {
      run.named = events::ChainBreak{
          lost.first, "events " + std::to_string(lost.first) + " to " +
                          (lost.last ? std::to_string(*lost.last) : std::string("the end")) +
                          " cannot be read: the storage holding them is damaged (" + lost.why + ")"};
      return false;
    };
    scanEventsPastDamage(store, std::string_view(""), end,
                    [&](std::string_view key, std::string_view bytes) {
      auto seq = events::keys::parseEventKey(key);
      if (!seq) {
        const uint64_t after = chain.position().lastSeq;
        run.named = events::ChainBreak{
            after + 1, events::keys::describeBadEventKey(key) +
                           (after == 0 ? ", before event 1" : ", after event " + std::to_string(after))};
        return false;
      }
      if (auto error = chain.feed(*seq, bytes, &event)) {
        run.chainError = std::move(error);
        return false;
      }
      created.clear();
      events::appendLeaf(tree, events::merkle::eventLeafHash(chain.position().head), &created);
      run.events.push_back({std::move(*event), chain.position(),
                            static_cast<uint32_t>(run.nodes.size()),
                            static_cast<uint32_t>(created.size())});
      run.nodes.insert(run.nodes.end(), created.begin(), created.end());
      if (toSeq != 0 && *seq > toSeq) endedAtBound = true;
      if (run.events.size() < kRunLength) return true;
      handed = hand(std::exchange(run, {}));
      if (handed) run = emptyRun();
      return handed;
    }, unreadable);
    if (!handed) return;
    if (!run.chainError && !run.named && !endedAtBound) {
      try {
        run.chainError = chain.checkMeta(store);
      } catch (const events::StoreError& e) {
        run.chainError = e.what();
      }
    }
    run.last = true;
    hand(std::move(run));
  } catch (...) {
    {
      std::lock_guard lock(mu_);
      failure_ = std::current_exception();
    }
    changed_.notify_all();
  }
}

void ChainReader::recycle(ChainRun run) {
  std::lock_guard lock(mu_);
  // Bounded: the reader takes one back per run it fills; beyond that the consumer frees them.
  if (spent_.size() < kRunsAhead) spent_.push_back(std::move(run));
}

ChainRun ChainReader::emptyRun() {
  ChainRun run;
  {
    std::lock_guard lock(mu_);
    if (!spent_.empty()) {
      run = std::move(spent_.back());
      spent_.pop_back();
    }
  }
  // Outside the lock: this frees the events the run held, on the thread that allocated them.
  run.events.clear();
  run.nodes.clear();
  run.last = false;
  run.chainError.reset();
  run.named.reset();
  run.events.reserve(kRunLength);
  run.nodes.reserve(2 * kRunLength);
  return run;
}

ChainRun ChainReader::next() {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return !runs_.empty() || failure_; });
  if (runs_.empty()) std::rethrow_exception(failure_);
  ChainRun run = std::move(runs_.front());
  runs_.pop_front();
  lock.unlock();
  changed_.notify_all();
  return run;
}

}  // namespace pitlog::projections
