#pragma once
// pitd's HTTP accept loop: each accepted connection is wrapped in a CoalescingStream (one write
// per response) and served by kj::HttpServer; when the server is done with it, the answers still
// gathered are written out before the connection closes. kj's own HttpServer::listenHttp() cannot
// do that last step: it drops the connection as soon as the last response has been handed over.
//
// Threading: the event loop the server and the receiver belong to.
#include <kj/async-io.h>
#include <kj/compat/http.h>

namespace pitlog::server {

class HttpConnections final : private kj::TaskSet::ErrorHandler {
 public:
  // `server` must outlive this object.
  explicit HttpConnections(kj::HttpServer& server);

  // Accepts connections from `receiver` and serves each until the client or drain() ends it.
  // Never resolves; rejects when accepting fails. Drop it to stop accepting (connections already
  // accepted go on).
  kj::Promise<void> listen(kj::ConnectionReceiver& receiver);

  // Stops taking requests (HttpServer::drain(): requests in flight finish, idle connections
  // close), then resolves once every connection has written its last answer out and closed.
  kj::Promise<void> drain();

  // Serves one connection as listen() serves each it accepts; resolves once its last answer is
  // out, rejects with what ended it otherwise. (fuzz_http serves its in-memory pipes through it.)
  kj::Promise<void> serve(kj::Own<kj::AsyncIoStream> connection);

 private:
  void taskFailed(kj::Exception&& exception) override;

  kj::HttpServer& server_;
  bool draining_ = false;
  kj::TaskSet connections_;
};

}  // namespace pitlog::server
