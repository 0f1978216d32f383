#include "server/http_connections.h"

#include <kj/debug.h>

#include "server/coalescing_stream.h"
#include "server/guarded_stream.h"
#include "server/log.h"

namespace pitlog::server {

namespace {

// Whether a comma-separated header value holds `token` (case-insensitive).
bool hasToken(kj::StringPtr value, kj::StringPtr token) {
  const char* p = value.begin();
  while (p < value.end()) {
    while (p < value.end() && (*p == ' ' || *p == '\t' || *p == ',')) ++p;
    const char* start = p;
    while (p < value.end() && *p != ',') ++p;
    const char* end = p;
    while (end > start && (end[-1] == ' ' || end[-1] == '\t')) --end;
    if (static_cast<size_t>(end - start) == token.size() &&
        strncasecmp(start, token.cStr(), token.size()) == 0) {
      return true;
    }
  }
  return false;
}

// The request line's version. kj-http 0.9.2 does not hand it to the service, but parses the line
// in place: the URL it passes is followed, in the same buffer, by its terminating NUL, the spaces
// after it and the rest of the line, itself NUL-terminated ("GET /x\0HTTP/1.0\0"). The end-to-end
// tests of HTTP/1.0 catch a kj that changes this.
bool isHttp10(kj::StringPtr url) {
  const char* p = url.end() + 1;
  while (*p == ' ' || *p == '\t') ++p;
  return strncmp(p, "HTTP/1.0", 8) == 0 && (p[8] == '\0' || p[8] == ' ' || p[8] == '\t');
}

bool lastOfConnection(kj::StringPtr url, const kj::HttpHeaders& headers) {
  KJ_IF_MAYBE(connection, headers.get(kj::HttpHeaderId::CONNECTION)) {
    if (hasToken(*connection, "close")) return true;
    if (hasToken(*connection, "keep-alive")) return false;
  }
  return isHttp10(url);
}

}  // namespace

// The answer to a connection's last request: kj asks shouldClose() from inside send(), so the
// flag set around it puts `Connection: close` on this response only.
class HttpConnections::LastResponse final : public kj::HttpService::Response {
 public:
  LastResponse(HttpConnections& owner, kj::HttpService::Response& inner)
      : owner_(owner), inner_(inner) {}

  kj::Own<kj::AsyncOutputStream> send(uint statusCode, kj::StringPtr statusText,
                                      const kj::HttpHeaders& headers,
                                      kj::Maybe<uint64_t> expectedBodySize) override {
    owner_.closeThisResponse_ = true;
    KJ_DEFER(owner_.closeThisResponse_ = false);
    return inner_.send(statusCode, statusText, headers, expectedBodySize);
  }
  kj::Own<kj::WebSocket> acceptWebSocket(const kj::HttpHeaders& headers) override {
    return inner_.acceptWebSocket(headers);
  }

 private:
  HttpConnections& owner_;
  kj::HttpService::Response& inner_;
};

// The service as one connection sees it: the shared service, plus closing after a last request.
class HttpConnections::ConnectionService final : public kj::HttpService {
 public:
  ConnectionService(HttpConnections& owner, GuardedStream& stream)
      : owner_(owner), stream_(stream) {}

  kj::Promise<void> request(kj::HttpMethod method, kj::StringPtr url,
                            const kj::HttpHeaders& headers, kj::AsyncInputStream& body,
                            Response& response) override {
    if (!lastOfConnection(url, headers)) {
      return owner_.service_.request(method, url, headers, body, response);
    }
    auto last = kj::heap<LastResponse>(owner_, response);
    auto& ref = *last;
    // Once answered, the connection reads end-of-stream: kj writes the answer out and closes.
    return owner_.service_.request(method, url, headers, body, ref)
        .then([this]() { stream_.endReads(); })
        .attach(kj::mv(last));
  }

 private:
  HttpConnections& owner_;
  GuardedStream& stream_;
};

HttpConnections::HttpConnections(kj::Timer& timer, const kj::HttpHeaderTable& table,
                                 kj::HttpService& service, kj::HttpServerSettings settings,
                                 kj::Duration writeTimeout)
    : timer_(timer), service_(service), writeTimeout_(writeTimeout), connections_(*this) {
  settings.callbacks = static_cast<kj::HttpServerCallbacks&>(*this);
  server_ = kj::heap<kj::HttpServer>(
      timer, table,
      [this](kj::AsyncIoStream&) -> kj::Own<kj::HttpService> {
        // listenHttpCleanDrain() calls the factory at once, from serve() below.
        KJ_ASSERT(starting_ != nullptr, "a connection served outside serve()");
        return kj::heap<ConnectionService>(*this, *starting_);
      },
      settings);
}

HttpConnections::~HttpConnections() noexcept(false) = default;

void HttpConnections::add(kj::Own<kj::AsyncIoStream> connection) {
  if (draining_) return;  // accepted just as the drain began: closed
  connections_.add(serve(kj::mv(connection)));
}

kj::Promise<void> HttpConnections::serve(kj::Own<kj::AsyncIoStream> connection) {
  auto guarded = kj::heap<GuardedStream>(kj::mv(connection), timer_, writeTimeout_);
  GuardedStream& guard = *guarded;
  auto stream = kj::heap<CoalescingStream>(kj::mv(guarded));
  CoalescingStream& out = *stream;
  starting_ = &guard;
  auto serving = server_->listenHttpCleanDrain(out);
  starting_ = nullptr;
  // Whether the server ended the connection cleanly or not, what it wrote still goes out: a
  // response followed by `Connection: close` is the common case of the latter.
  return serving
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
  return server_->drain().then([this]() { return connections_.onEmpty(); });
}

bool HttpConnections::shouldClose() { return closeThisResponse_; }

void HttpConnections::taskFailed(kj::Exception&& exception) {
  // A client that hung up (or did not read its answers in time) is routine; anything else is
  // worth a line (kj's own server logged it).
  if (exception.getType() == kj::Exception::Type::DISCONNECTED) return;
  log::warn("http connection failed", {{"error", exception.getDescription().cStr()}});
}

}  // namespace pitlog::server
