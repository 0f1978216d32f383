#pragma once
// The pitd process once its configuration is parsed: builds each component and passes it its
// dependencies (no singletons), serves HTTP on one kj event loop per core (http_loop.h) and RPC
// on the main one, runs the expiry scheduler, and shuts down cleanly on SIGTERM or SIGINT: stop accepting on both ports,
// finish the HTTP requests and RPC calls in flight (their commands become durable before they are
// answered), stop the engine, close the database. SIGHUP reloads the service keys.
#include "server/config.h"

namespace pitlog::server {

// Call first in main, before any thread exists: blocks SIGTERM, SIGINT and SIGHUP so that every thread
// created later (RocksDB's, the engine's writer) inherits the mask and the event loop alone
// receives them.
void captureShutdownSignals();

// Runs pitd until a shutdown signal. Returns the process exit status: 0 after a clean shutdown,
// 1 when the database or a listen address cannot be opened, 2 when a file named by the
// configuration (scopes, service keys) is unusable.
int runServer(const Config& config);

}  // namespace pitlog::server
