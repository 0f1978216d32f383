#pragma once
// pitd's Cap'n Proto RPC port (API.md "Cap'n Proto RPC"; the schema is pitlog_rpc.capnp).
#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>

#include <functional>
#include <string_view>

#include "commands/engine.h"

namespace pitlog::rpc {

// Accepts connections on `listener` forever and serves each with its own two-party RPC system
// whose bootstrap capability is a Gateway: Gateway.login(serviceKey) checks the key with
// `authenticate` and, when it holds, yields the Session that carries every operation.
//
// Runs on the calling thread's KJ event loop (kj::setupAsyncIo()); `authenticate` is called there.
// The returned promise never resolves; it rejects only when accepting fails (e.g. the listener's
// socket broke), and dropping it closes every connection at once. `listener` and `engine` must
// outlive the promise. Stop serving (drop the promise) before Engine::stop(): a command in flight
// when its connection closes still commits, and its answer is discarded.
kj::Promise<void> serveRpc(kj::ConnectionReceiver& listener, pitlog::commands::Engine& engine,
                           std::function<bool(std::string_view serviceKey)> authenticate);

}  // namespace pitlog::rpc
