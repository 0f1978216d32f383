#pragma once
// The limits every connection of pitd lives under, on the HTTP and the RPC port alike (README
// "Connections and their limits"). One struct, filled from the configuration in main's wiring and
// handed to both front-ends, so that the two ports cannot drift apart.
#include <kj/time.h>

#include <cstddef>

namespace pitlog::server {

struct ConnectionLimits {
  // Connections open at once, per port. Beyond it a new connection is accepted and closed at once
  // (never left queued): a flood costs the flooder, not the clients already served.
  size_t maxConnections = 1000;
  // A new connection must say something complete in this time: HTTP its first request's headers
  // (kj::HttpServerSettings::headerTimeout), RPC its login.
  kj::Duration firstRequestTimeout = 15 * kj::SECONDS;
  // An RPC session with no message either way for this long is closed. (HTTP keeps an idle
  // keep-alive connection open for kj's pipeline timeout, 5 s.)
  kj::Duration idleTimeout = 60 * kj::SECONDS;
  // A write the peer has not taken within this time ends the connection: a client that sends
  // requests and never reads the answers cannot hold pitd's memory or a descriptor for long.
  kj::Duration writeTimeout = 30 * kj::SECONDS;
};

}  // namespace pitlog::server
