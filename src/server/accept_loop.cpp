#include "server/accept_loop.h"

#include "server/log.h"
#include "server/metrics.h"

namespace pitlog::server {

namespace {

constexpr kj::Duration kFirstBackoff = 10 * kj::MILLISECONDS;
constexpr kj::Duration kMaxBackoff = 1 * kj::SECONDS;

// Lives as long as the connection's stream: counts it out when it goes.
struct Slot {
  Slot(AcceptLoop::OpenCount o, Metrics* m, std::string p)
      : open(std::move(o)), metrics(m), protocol(std::move(p)) {}
  KJ_DISALLOW_COPY(Slot);
  AcceptLoop::OpenCount open;
  Metrics* metrics;
  std::string protocol;
  ~Slot() {
    open->fetch_sub(1);
    if (metrics != nullptr) metrics->setOpenConnections(protocol, *open);
  }
};

}  // namespace

AcceptLoop::AcceptLoop(kj::ConnectionReceiver& receiver, kj::Timer& timer, std::string protocol,
                       size_t maxConnections, Serve serve, Metrics* metrics, OpenCount open)
    : receiver_(receiver),
      timer_(timer),
      protocol_(std::move(protocol)),
      maxConnections_(maxConnections),
      serve_(std::move(serve)),
      metrics_(metrics),
      open_(open ? std::move(open) : std::make_shared<std::atomic<size_t>>(0)) {
  if (metrics_ != nullptr) metrics_->setOpenConnections(protocol_, *open_);  // the port's row
}

kj::Promise<void> AcceptLoop::run() {
  return acceptOne().then([this]() { return run(); }).eagerlyEvaluate(nullptr);
}

kj::Promise<void> AcceptLoop::acceptOne() {
  // kj's accept() throws at once, rather than rejecting, when a connection is waiting and
  // accept4() fails with EMFILE.
  kj::Promise<kj::Own<kj::AsyncIoStream>> accepted = nullptr;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() { accepted = receiver_.accept(); })) {
    return retryAfterFailure(kj::mv(*e));
  }
  return accepted.then(
      [this](kj::Own<kj::AsyncIoStream>&& connection) -> kj::Promise<void> {
        if (backoff_ != 0 * kj::SECONDS) {
          backoff_ = 0 * kj::SECONDS;
          if (metrics_ != nullptr) metrics_->setListenerAccepting(protocol_, true);
          log::info("accepting connections again", {{"protocol", protocol_}});
        }
        take(kj::mv(connection));
        return kj::READY_NOW;
      },
      [this](kj::Exception&& e) { return retryAfterFailure(kj::mv(e)); });
}

kj::Promise<void> AcceptLoop::retryAfterFailure(kj::Exception&& e) {
  if (backoff_ == 0 * kj::SECONDS) {
    // Once per episode: under EMFILE every retry fails the same way.
    log::warn("accepting a connection failed; retrying (connections already open are served)",
              {{"protocol", protocol_},
               {"error", e.getDescription().cStr()},
               {"open", std::to_string(open_->load())}});
    if (metrics_ != nullptr) metrics_->setListenerAccepting(protocol_, false);
    backoff_ = kFirstBackoff;
  } else {
    backoff_ = kj::min(backoff_ * 2, kMaxBackoff);
  }
  if (metrics_ != nullptr) metrics_->recordAcceptFailure(protocol_);
  return timer_.afterDelay(backoff_);
}

void AcceptLoop::take(kj::Own<kj::AsyncIoStream> connection) {
  // Counted in before the check, so that two loops of the port cannot both take the last place.
  const size_t open = open_->fetch_add(1) + 1;
  if (open > maxConnections_) {
    open_->fetch_sub(1);
    // Another loop may have shown the count while this one was in it.
    if (metrics_ != nullptr) metrics_->setOpenConnections(protocol_, *open_);
    if (!atLimit_) {
      atLimit_ = true;
      log::warn("connection limit reached; new connections are closed until one ends",
                {{"protocol", protocol_}, {"max_connections", std::to_string(maxConnections_)}});
    }
    if (metrics_ != nullptr) metrics_->recordConnectionRefused(protocol_);
    return;  // `connection` closes here
  }
  if (atLimit_) {
    atLimit_ = false;
    log::info("below the connection limit again", {{"protocol", protocol_}});
  }
  if (metrics_ != nullptr) metrics_->setOpenConnections(protocol_, *open_);
  serve_(connection.attach(kj::heap<Slot>(open_, metrics_, protocol_)));
}

}  // namespace pitlog::server
