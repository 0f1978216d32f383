#pragma once
// The HTTP event loops beyond the main one (--http-threads - 1), each an HttpLoop on a thread of
// its own. The main loop keeps everything else (signals, RPC, the expiry scheduler), and tells
// these loops, through their kj::Executors, when to drain and stop.
//
// Signals stay with the main loop: kj delivers a captured signal only to a loop that called
// onSignal(), and these never do (captureShutdownSignals() blocked them before any thread).
//
// Threading: every method on the main loop's thread.
#include <kj/async.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/http_loop.h"

namespace pitlog::server {

class HttpLoopThreads {
 public:
  // Starts `count` loops and returns once each accepts. Throws std::runtime_error with the first
  // loop's reason when one cannot start (its TLS files, its descriptors), after stopping the rest.
  HttpLoopThreads(size_t count, const HttpLoopShared& shared);
  ~HttpLoopThreads();  // stop()
  HttpLoopThreads(const HttpLoopThreads&) = delete;
  HttpLoopThreads& operator=(const HttpLoopThreads&) = delete;

  // Every loop stops accepting (synchronously) and finishes its requests in flight; the promise,
  // on the caller's loop, resolves once all have.
  kj::Promise<void> drain();
  // Ends every loop (closing the connections a drain left) and joins its thread.
  void stop();

 private:
  struct Loop {
    std::thread thread;
    const kj::Executor* executor = nullptr;  // while the loop runs
    HttpLoop* http = nullptr;                // its thread's only
    kj::Own<kj::PromiseFulfiller<void>> stop;  // its thread's only
    bool started = false, ended = false;
    std::string failure;  // why it could not start
  };
  void run(Loop& loop, const HttpLoopShared& shared);

  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<std::unique_ptr<Loop>> loops_;
};

}  // namespace pitlog::server
