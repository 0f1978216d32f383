#include "server/tls_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "server/log.h"

namespace pitlog::server {

namespace {

// "203.0.113.7:51234", "[::1]:51234", or "?" when the socket cannot say.
std::string peerOf(kj::AsyncIoStream& stream) {
  sockaddr_storage addr{};
  uint length = sizeof addr;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions(
                     [&]() { stream.getpeername(reinterpret_cast<sockaddr*>(&addr), &length); })) {
    return "?";
  }
  char host[INET6_ADDRSTRLEN] = "?";
  if (addr.ss_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (addr.ss_family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    return "[" + std::string(host) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  return "?";
}

}  // namespace

TlsReceiver::TlsReceiver(kj::TlsContext& tls, kj::Timer& timer,
                         kj::Own<kj::ConnectionReceiver> inner, std::string protocol)
    : tls_(tls),
      timer_(timer),
      inner_(kj::mv(inner)),
      protocol_(std::move(protocol)),
      handshakes_(*this) {
  accepting_ = acceptLoop().eagerlyEvaluate([this](kj::Exception&& e) {
    // The listening socket itself failed: answer every accept() with that, as a plain receiver
    // would, so the server's own handling of a broken listener applies unchanged.
    for (auto& waiter : waiters_) waiter->reject(kj::cp(e));
    waiters_.clear();
    acceptFailure_ = kj::mv(e);
  });
}

TlsReceiver::~TlsReceiver() noexcept(false) = default;

kj::Promise<kj::Own<kj::AsyncIoStream>> TlsReceiver::accept() {
  KJ_IF_MAYBE(e, acceptFailure_) { return kj::cp(*e); }
  if (!ready_.empty()) {
    auto stream = kj::mv(ready_.front());
    ready_.pop_front();
    return kj::mv(stream);
  }
  auto paf = kj::newPromiseAndFulfiller<kj::Own<kj::AsyncIoStream>>();
  waiters_.push_back(kj::mv(paf.fulfiller));
  return kj::mv(paf.promise);
}

kj::Promise<void> TlsReceiver::acceptLoop() {
  return inner_->accept().then([this](kj::Own<kj::AsyncIoStream>&& raw) {
    if (pending_ >= kMaxPendingHandshakes) {
      ++failures_;
      log::warn("tls handshake refused: too many in progress",
                {{"protocol", protocol_}, {"peer", peerOf(*raw)},
                 {"pending", std::to_string(pending_)}});
      raw = nullptr;  // closed
    } else {
      handshakes_.add(handshake(kj::mv(raw)));
    }
    return acceptLoop();
  });
}

kj::Promise<void> TlsReceiver::handshake(kj::Own<kj::AsyncIoStream> raw) {
  ++pending_;
  std::string peer = peerOf(*raw);
  // Cancelling the handshake on timeout destroys the TLS stream and with it the socket.
  return timer_.timeoutAfter(kHandshakeTimeout, tls_.wrapServer(kj::mv(raw)))
      .then(
          [this](kj::Own<kj::AsyncIoStream>&& stream) {
            --pending_;
            deliver(kj::mv(stream));
          },
          [this, peer = kj::mv(peer)](kj::Exception&& e) {
            --pending_;
            ++failures_;
            // Routine on a port the internet can reach: one line, and the client's fault only.
            log::info("tls handshake failed", {{"protocol", protocol_},
                                               {"peer", peer},
                                               {"error", e.getDescription().cStr()}});
          });
}

void TlsReceiver::deliver(kj::Own<kj::AsyncIoStream> stream) {
  while (!waiters_.empty()) {
    auto waiter = kj::mv(waiters_.front());
    waiters_.pop_front();
    // An accept() whose promise was dropped no longer waits; the next one may.
    if (waiter->isWaiting()) {
      waiter->fulfill(kj::mv(stream));
      return;
    }
  }
  ready_.push_back(kj::mv(stream));
}

void TlsReceiver::taskFailed(kj::Exception&& exception) {
  // handshake() handles its own failures; reaching here is a bug in this file.
  log::error("tls receiver task failed", {{"protocol", protocol_},
                                          {"error", exception.getDescription().cStr()}});
}

}  // namespace pitlog::server
