#include "server/tls_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "server/forwarding_stream.h"
#include "server/log.h"
#include "server/metrics.h"

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

// The address without its port: "203.0.113.7", "[::1]".
std::string hostOf(const std::string& peer) {
  auto colon = peer.rfind(':');
  return colon == std::string::npos ? peer : peer.substr(0, colon);
}

// A connection whose first byte was read already (to see that the client speaks at all): hands
// that byte out first, then reads on.
class ReplayStream final : public ForwardingStream {
 public:
  ReplayStream(kj::byte first, kj::Own<kj::AsyncIoStream> inner)
      : ForwardingStream(kj::mv(inner)), first_(first) {}

  kj::Promise<size_t> tryRead(void* buffer, size_t minBytes, size_t maxBytes) override {
    if (replayed_ || maxBytes == 0) return inner_->tryRead(buffer, minBytes, maxBytes);
    replayed_ = true;
    auto* out = static_cast<kj::byte*>(buffer);
    out[0] = first_;
    if (minBytes <= 1) return size_t(1);
    return inner_->tryRead(out + 1, minBytes - 1, maxBytes - 1).then([](size_t n) { return n + 1; });
  }

 private:
  kj::byte first_;
  bool replayed_ = false;
};

}  // namespace

TlsReceiver::TlsReceiver(kj::TlsContext& tls, kj::Timer& timer,
                         kj::Own<kj::ConnectionReceiver> inner, std::string protocol,
                         Metrics* metrics)
    : tls_(tls),
      timer_(timer),
      inner_(kj::mv(inner)),
      protocol_(std::move(protocol)),
      handshakes_(*this) {
  // Raw connections are bounded by the handshake limits here and by the server's own limit once
  // handshaken, so the raw loop takes every one.
  accepts_ = kj::heap<AcceptLoop>(
      *inner_, timer_, protocol_ + "-tcp", SIZE_MAX,
      [this](kj::Own<kj::AsyncIoStream> raw) { start(kj::mv(raw)); }, metrics);
  accepting_ = accepts_->run().eagerlyEvaluate(nullptr);
}

TlsReceiver::~TlsReceiver() noexcept(false) = default;

kj::Own<kj::ConnectionReceiver> withTls(kj::Own<kj::ConnectionReceiver> inner, kj::TlsContext* tls,
                                        kj::Timer& timer, std::string protocol,
                                        Metrics* metrics) {
  if (tls == nullptr) return inner;
  return kj::heap<TlsReceiver>(*tls, timer, kj::mv(inner), std::move(protocol), metrics);
}

kj::Promise<kj::Own<kj::AsyncIoStream>> TlsReceiver::accept() {
  if (!ready_.empty()) {
    auto stream = kj::mv(ready_.front());
    ready_.pop_front();
    return kj::mv(stream);
  }
  auto paf = kj::newPromiseAndFulfiller<kj::Own<kj::AsyncIoStream>>();
  waiters_.push_back(kj::mv(paf.fulfiller));
  return kj::mv(paf.promise);
}

void TlsReceiver::start(kj::Own<kj::AsyncIoStream> raw) {
  std::string peer = peerOf(*raw);
  std::string host = hostOf(peer);
  size_t fromPeer = 0;
  for (const auto& p : pending_) fromPeer += p.host == host ? 1 : 0;
  if (fromPeer >= kMaxPendingPerPeer) {
    shedOldest(&host);
  } else if (pending_.size() >= kMaxPendingHandshakes) {
    shedOldest(nullptr);
  }
  const uint64_t id = nextId_++;
  auto shed = kj::newPromiseAndFulfiller<void>();
  pending_.push_back(Pending{id, std::move(host), kj::mv(shed.fulfiller)});
  auto shedding = shed.promise.then([]() -> kj::Own<kj::AsyncIoStream> {
    KJ_FAIL_REQUIRE("dropped for a newer connection: too many handshakes in progress");
  });
  // Whichever ends first cancels the other; a cancelled handshake destroys its socket.
  handshakes_.add(handshake(kj::mv(raw))
                      .exclusiveJoin(kj::mv(shedding))
                      .then(
                          [this, id](kj::Own<kj::AsyncIoStream>&& stream) {
                            forget(id);
                            deliver(kj::mv(stream));
                          },
                          [this, id, peer = kj::mv(peer)](kj::Exception&& e) {
                            forget(id);
                            ++failures_;
                            // Routine on a port the internet can reach: one line, the client's
                            // fault only.
                            log::info("tls handshake failed",
                                      {{"protocol", protocol_},
                                       {"peer", peer},
                                       {"error", e.getDescription().cStr()}});
                          }));
}

void TlsReceiver::shedOldest(const std::string* host) {
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    if (host != nullptr && it->host != *host) continue;
    it->shed->fulfill();  // its handshake fails at its next turn, and forget()s itself
    pending_.erase(it);
    return;
  }
}

kj::Promise<kj::Own<kj::AsyncIoStream>> TlsReceiver::handshake(kj::Own<kj::AsyncIoStream> raw) {
  auto first = kj::heapArray<kj::byte>(1);
  auto read = raw->tryRead(first.begin(), 1, 1);
  return timer_.timeoutAfter(kFirstByteTimeout, kj::mv(read))
      .then([this, raw = kj::mv(raw), first = kj::mv(first)](
                size_t n) mutable -> kj::Promise<kj::Own<kj::AsyncIoStream>> {
        if (n == 0) {
          return KJ_EXCEPTION(DISCONNECTED, "the client closed before its handshake");
        }
        return timer_.timeoutAfter(kHandshakeTimeout,
                                   tls_.wrapServer(kj::heap<ReplayStream>(first[0], kj::mv(raw))));
      });
}

bool TlsReceiver::forget(uint64_t id) {
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    if (it->id == id) {
      pending_.erase(it);
      return true;
    }
  }
  return false;
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
