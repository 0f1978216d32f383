#include "server/http_connections.h"

#include "server/coalescing_stream.h"
#include "server/log.h"

namespace pitlog::server {

HttpConnections::HttpConnections(kj::HttpServer& server) : server_(server), connections_(*this) {}

kj::Promise<void> HttpConnections::listen(kj::ConnectionReceiver& receiver) {
  return receiver.accept().then(
      [this, &receiver](kj::Own<kj::AsyncIoStream>&& connection) -> kj::Promise<void> {
        if (draining_) return kj::READY_NOW;  // accepted just as the drain began: closed
        connections_.add(serve(kj::mv(connection)));
        return listen(receiver);
      });
}

kj::Promise<void> HttpConnections::serve(kj::Own<kj::AsyncIoStream> connection) {
  auto stream = kj::heap<CoalescingStream>(kj::mv(connection));
  CoalescingStream& out = *stream;
  // Whether the server ended the connection cleanly or not, what it wrote still goes out: a
  // response followed by `Connection: close` is the common case of the latter.
  return server_.listenHttpCleanDrain(out)
      .then([&out](bool) { return out.flush(); },
            [&out](kj::Exception&& e) {
              return out.flush()
                  .catch_([](kj::Exception&&) {})  // the first failure is the one to report
                  .then([e = kj::mv(e)]() mutable { kj::throwFatalException(kj::mv(e)); });
            })
      .attach(kj::mv(stream));
}

kj::Promise<void> HttpConnections::drain() {
  draining_ = true;
  return server_.drain().then([this]() { return connections_.onEmpty(); });
}

void HttpConnections::taskFailed(kj::Exception&& exception) {
  // A client that hung up is routine; anything else is worth a line (kj's own server logged it).
  if (exception.getType() == kj::Exception::Type::DISCONNECTED) return;
  log::warn("http connection failed", {{"error", exception.getDescription().cStr()}});
}

}  // namespace pitlog::server
