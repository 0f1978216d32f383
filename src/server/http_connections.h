#pragma once
// pitd's HTTP connections: each accepted connection is guarded (write deadline: guarded_stream.h),
// wrapped in a CoalescingStream (one write per response) and served by a kj::HttpServer this
// object owns; when the server is done with it, the answers still gathered are written out before
// the connection closes. kj's own HttpServer::listenHttp() cannot do that last step: it drops the
// connection as soon as the last response has been handed over.
//
// A request with `Connection: close`, or an HTTP/1.0 request without `Connection: keep-alive`,
// is the last of its connection (RFC 9112 §9.6): its answer carries `Connection: close` and the
// connection closes once it is written, rather than after kj's keep-alive timeout.
//
// Threading: the event loop the server and the receiver belong to.
#include <kj/async-io.h>
#include <kj/compat/http.h>

namespace pitlog::server {

class GuardedStream;

class HttpConnections final : private kj::TaskSet::ErrorHandler,
                              private kj::HttpServerCallbacks {
 public:
  // `timer`, `table` and `service` must outlive this object. `settings.callbacks` is this
  // object's own; the rest of `settings` is the server's.
  HttpConnections(kj::Timer& timer, const kj::HttpHeaderTable& table, kj::HttpService& service,
                  kj::HttpServerSettings settings, kj::Duration writeTimeout);
  ~HttpConnections() noexcept(false);

  // Serves a connection until the client or drain() ends it (an accept loop's Serve).
  void add(kj::Own<kj::AsyncIoStream> connection);

  // Stops taking requests (HttpServer::drain(): requests in flight finish, idle connections
  // close), then resolves once every connection has written its last answer out and closed.
  kj::Promise<void> drain();

  // Serves one connection as add() does; resolves once its last answer is out, rejects with what
  // ended it otherwise. (fuzz_http serves its in-memory pipes through it.)
  kj::Promise<void> serve(kj::Own<kj::AsyncIoStream> connection);

 private:
  class ConnectionService;
  class LastResponse;

  void taskFailed(kj::Exception&& exception) override;
  bool shouldClose() override;

  kj::Timer& timer_;
  kj::HttpService& service_;
  kj::Duration writeTimeout_;
  GuardedStream* starting_ = nullptr;  // the connection whose service the factory makes now
  bool closeThisResponse_ = false;     // set by LastResponse around its send()
  kj::Own<kj::HttpServer> server_;
  bool draining_ = false;
  kj::TaskSet connections_;
};

}  // namespace pitlog::server
