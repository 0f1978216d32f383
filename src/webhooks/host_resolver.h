#pragma once
// Resolving a webhook target's host without blocking the event loop, once per attempt: the
// sender checks exactly these addresses and connects only to them.
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <vector>

#include <kj/async.h>

namespace pitlog::webhooks {

struct ResolvedAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  std::string text;  // "93.184.216.34", "2606:2800::1" (no port)
};

struct Resolution {
  std::vector<ResolvedAddress> addresses;  // in getaddrinfo()'s order, no duplicates
  std::string error;                       // set when there are none: "cannot resolve host x: …"
};

// TCP addresses of `host` (a DNS name, or an address's text) at `port`. An address's text is
// converted at once; a name is looked up on a detached thread (getaddrinfo() blocks and cannot be
// cancelled), whose answer is dropped if the promise was cancelled meanwhile. Never rejects.
// Call on a thread with a kj event loop.
kj::Promise<Resolution> resolveHost(const std::string& host, uint16_t port);

}  // namespace pitlog::webhooks
