#pragma once
// From the engine's writer thread back to a KJ event loop.
//
// Engine::submit() answers on the writer thread once the command's batch is durable (or at once,
// on the caller's thread, when validation rejects it). submitAsync() turns that callback into a
// promise on the calling thread's event loop through a cross-thread fulfiller, so RPC handlers can
// .then() on it without blocking the loop while RocksDB syncs.
//
// Cancellation: dropping the promise (a client that hangs up) does not withdraw the command, which
// may already be queued or committed; the writer's later answer is simply discarded.
#include <kj/async.h>

#include "commands/command.h"
#include "commands/engine.h"

namespace pitlog::server {

// Must be called on a thread with a KJ event loop; the promise resolves on that loop. Never
// rejects for an expected outcome: a refused command resolves to a result with its code.
kj::Promise<commands::CommandResult> submitAsync(commands::Engine& engine,
                                                 commands::Command command);

}  // namespace pitlog::server
