#pragma once
// Engine::submit answers on the engine's writer thread; the HTTP and RPC front-ends live on a kj
// event loop. submitAsync() turns the callback into a promise that resolves on the calling
// thread's event loop, through a cross-thread fulfiller. Dropping the promise (a client that
// hung up) is safe: the command still runs, and its answer is discarded.
#include <kj/async.h>

#include "commands/engine.h"

namespace pitlog::server {

// REQUIRES: called on a thread with a running kj event loop.
kj::Promise<commands::CommandResult> submitAsync(commands::Engine& engine,
                                                 commands::Command command);

}  // namespace pitlog::server
