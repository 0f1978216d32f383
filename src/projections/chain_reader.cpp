#include "projections/chain_reader.h"

namespace pitlog::projections {

namespace {
constexpr size_t kRunLength = 256;  // events handed over at once: one lock per run, not per event
constexpr size_t kRunsAhead = 16;   // how far reading may get ahead of the fold (bounds memory)
}  // namespace

ChainReader::ChainReader(const events::Store& store, uint64_t toSeq, bool checkMeta)
    : thread_([this, &store, toSeq, checkMeta] { read(store, toSeq, checkMeta); }) {}

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

void ChainReader::read(const events::Store& store, uint64_t toSeq, bool checkMeta) {
  try {
    events::ChainVerifier chain;
    ChainRun run;
    std::optional<events::DecodedEvent> event;
    bool handed = true;
    events::forEachEvent(store, 1, toSeq, [&](uint64_t seq, std::string_view bytes) {
      if (auto error = chain.feed(seq, bytes, &event)) {
        run.chainError = std::move(error);
        return false;
      }
      run.events.push_back({std::move(*event), chain.position()});
      if (run.events.size() < kRunLength) return true;
      handed = hand(std::exchange(run, {}));
      run.events.reserve(kRunLength);
      return handed;
    });
    if (!handed) return;
    if (!run.chainError && checkMeta) {
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
