#pragma once
// Reads the log and verifies its hash chain on a thread of its own, ahead of replay's fold:
// reading, decoding and hashing an event costs about as much as projecting it, so on two cores
// the two halves overlap. Events come out in order, in runs, each with the chain position it
// verified; then how reading ended. The fold still applies an event only once the next link
// vouches for it (see replay.cpp), so what it applies is exactly what a single thread would.
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "events/log.h"
#include "events/store.h"

namespace pitlog::projections {

struct LinkedEvent {
  events::DecodedEvent event;
  events::ChainPosition position;  // the chain after this event
};

struct ChainRun {
  std::vector<LinkedEvent> events;
  bool last = false;                      // reading has ended: nothing follows this run
  std::optional<std::string> chainError;  // with `last`: why the chain broke after `events`
};

class ChainReader {
 public:
  // Reads events 1..toSeq (0: to the end). `checkMeta`: after the last event, check that the
  // store's meta agrees with the chain read (only meaningful when the whole log is read).
  ChainReader(const events::Store& store, uint64_t toSeq, bool checkMeta);
  ~ChainReader();  // stops the thread, even mid-read
  ChainReader(const ChainReader&) = delete;
  ChainReader& operator=(const ChainReader&) = delete;

  // The next run, waiting for it; rethrows what the reading thread threw (a StoreError).
  ChainRun next();

 private:
  void read(const events::Store& store, uint64_t toSeq, bool checkMeta);
  bool hand(ChainRun run);  // false once the consumer has gone

  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<ChainRun> runs_;
  std::exception_ptr failure_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace pitlog::projections
