#pragma once
// One listening socket served by several event loops: each loop accepts from its own duplicate
// of the descriptor (the kernel hands every connection to exactly one accept()), so each loop
// holds its own connections and none waits for another's.
//
// Why one socket rather than SO_REUSEPORT listeners: a SO_REUSEPORT group admits any later
// process of the same user on the same port, so a second pitd started by mistake on another data
// dir would silently take half of the connections to answer from another database. With one
// socket, that second pitd fails to start, as it always has. An idle loop also takes whatever
// is queued, where SO_REUSEPORT hashes each connection to a loop that may be busy.
//
// Threading: open() on any thread; receiver() on the thread of the event loop that will accept.
#include <kj/async-io.h>

#include <cstdint>
#include <string>

#include "server/config.h"

namespace pitlog::server {

class SharedListener {
 public:
  // Resolves the endpoint as kj does (names, "*" for every address, "[::1]"), binds and listens.
  // Throws std::runtime_error saying why (the address in use, a name that does not resolve).
  static SharedListener open(kj::Network& network, kj::WaitScope& waitScope,
                             const Endpoint& endpoint);
  SharedListener(SharedListener&& other) noexcept : fd_(other.fd_), port_(other.port_) {
    other.fd_ = -1;
  }
  SharedListener& operator=(SharedListener&&) = delete;
  ~SharedListener();

  uint16_t port() const { return port_; }
  // Closes this object's descriptor: the port stops listening once every receiver is gone too.
  void close();

  // A receiver for the calling thread's event loop, on its own duplicate of the socket. The
  // socket stops listening once this object and every receiver are gone.
  kj::Own<kj::ConnectionReceiver> receiver(kj::LowLevelAsyncIoProvider& provider) const;

 private:
  SharedListener(int fd, uint16_t port) : fd_(fd), port_(port) {}
  int fd_;
  uint16_t port_;
};

}  // namespace pitlog::server
