#pragma once
// Reads the log and verifies its hash chain on a thread of its own, ahead of replay's fold:
// reading, decoding and hashing an event costs about as much as projecting it, so on two cores
// the two halves overlap. Events come out in order, in runs, each with the chain position it
// verified and the Merkle tree nodes it completes (hashing them here too, off the fold's
// thread); then how reading ended. The fold still applies an event only once the next link
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
  // The stored Merkle tree nodes this event completes (events::appendLeaf), as the log appender
  // wrote them beside it: run.nodes[firstNode, firstNode + nodeCount).
  uint32_t firstNode = 0;
  uint32_t nodeCount = 0;
};

struct ChainRun {
  std::vector<LinkedEvent> events;
  std::vector<events::merkle::Node> nodes;  // the events' Merkle nodes, in order
  bool last = false;                      // reading has ended: nothing follows this run
  std::optional<std::string> chainError;  // with `last`: why the chain broke after `events`
  // With `last`: a finding already named (a key that is not an event key), not to be diagnosed.
  std::optional<events::ChainBreak> named;
};

class ChainReader {
 public:
  // Reads events 1..toSeq+1 (toSeq 0: to the end): event toSeq is vouched for by the next
  // event's prevHash, so the reader hands that one too, and the consumer does not apply it.
  // When the log ends first, it checks that the store's meta agrees with the chain read (the
  // last event is vouched for by meta/chain_head). A key in the events family that is not an
  // event key ends reading with that finding, named.
  ChainReader(const events::Store& store, uint64_t toSeq);
  ~ChainReader();  // stops the thread, even mid-read
  ChainReader(const ChainReader&) = delete;
  ChainReader& operator=(const ChainReader&) = delete;

  // The next run, waiting for it; rethrows what the reading thread threw (a StoreError).
  ChainRun next();
  // Gives back a run the consumer is done with. The reading thread frees its events there, where
  // they were allocated (a thread freeing another's allocations defeats the allocator's
  // per-thread caches and contends for the other's arena, event after event), and refills the
  // run's buffers. Optional: a run not given back is simply freed where it dies.
  void recycle(ChainRun run);

 private:
  void read(const events::Store& store, uint64_t toSeq);
  bool hand(ChainRun run);  // false once the consumer has gone
  ChainRun emptyRun();      // a recycled run, cleared here, or a new one

  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<ChainRun> runs_;
  std::vector<ChainRun> spent_;  // given back by the consumer, not yet cleared
  std::exception_ptr failure_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace pitlog::projections
