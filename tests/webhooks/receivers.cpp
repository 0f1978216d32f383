#include "webhooks/receivers.h"

#include <kj/debug.h>

#include <cctype>

namespace pitlog::webhooks::testing {

namespace {

kj::Own<kj::ConnectionReceiver> listenOnLoopback(kj::AsyncIoContext& io) {
  return io.provider->getNetwork().parseAddress("127.0.0.1", 0).wait(io.waitScope)->listen();
}

}  // namespace

Receiver::Receiver(kj::AsyncIoContext& io, kj::TlsContext* tls)
    : listener_(listenOnLoopback(io)),
      server_(io.provider->getTimer(), table_, *this),
      serving_(nullptr) {
  port_ = static_cast<uint16_t>(listener_->getPort());
  if (tls != nullptr) listener_ = tls->wrapPort(kj::mv(listener_));
  serving_ = server_.listenHttp(*listener_).eagerlyEvaluate(nullptr);
}

Receiver::~Receiver() noexcept(false) {}

kj::Promise<void> Receiver::request(kj::HttpMethod method, kj::StringPtr url,
                                    const kj::HttpHeaders& headers, kj::AsyncInputStream& body,
                                    Response& response) {
  ReceivedRequest seen;
  seen.method = kj::str(method).cStr();
  seen.url = url.cStr();
  headers.forEach([&](kj::StringPtr name, kj::StringPtr value) {
    std::string key(name.cStr());
    for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    seen.headers[key] = value.cStr();
  });
  if (behaviour_ == Behaviour::kHang) {
    received_.push_back(std::move(seen));
    return kj::NEVER_DONE;
  }
  auto read = body.readAllText();
  return read.then([this, seen = std::move(seen), &response](kj::String text) mutable {
    seen.body.assign(text.cStr(), text.size());
    received_.push_back(std::move(seen));
    kj::HttpHeaders answer(table_);
    if (!location_.empty()) answer.set(kj::HttpHeaderId::LOCATION, location_.c_str());
    if (status_ == 204) {  // an answer that has no body
      response.send(204, "No Content", answer, uint64_t(0));
      return kj::Promise<void>(kj::READY_NOW);
    }
    constexpr kj::StringPtr kBody = "{\"received\":true}"_kj;
    auto stream = response.send(static_cast<uint>(status_), "Status", answer, kBody.size());
    auto written = stream->write(kBody.begin(), kBody.size());
    return written.attach(kj::mv(stream));
  });
}

TricklingReceiver::TricklingReceiver(kj::AsyncIoContext& io, int intervalMs, std::string head)
    : io_(io),
      intervalMs_(intervalMs),
      head_(std::move(head)),
      listener_(listenOnLoopback(io)),
      serving_(nullptr) {
  port_ = static_cast<uint16_t>(listener_->getPort());
  serving_ = listener_->accept()
                 .then([this](kj::Own<kj::AsyncIoStream> stream) {
                   auto& s = *stream;
                   return s.write(head_.data(), head_.size())
                       .then([this, &s]() { return trickle(s); })
                       .attach(kj::mv(stream));
                 })
                 .eagerlyEvaluate(nullptr);
}

kj::Promise<void> TricklingReceiver::trickle(kj::AsyncIoStream& stream) {
  auto pause = io_.provider->getTimer().afterDelay(intervalMs_ * kj::MILLISECONDS);
  return pause.then([this, &stream]() {
    return stream.write("x", 1).then([this, &stream]() { return trickle(stream); });
  });
}

ClosingReceiver::ClosingReceiver(kj::AsyncIoContext& io)
    : listener_(listenOnLoopback(io)), serving_(nullptr) {
  port_ = static_cast<uint16_t>(listener_->getPort());
  serving_ = listener_->accept()
                 .then([this](kj::Own<kj::AsyncIoStream> stream) {
                   auto& s = *stream;
                   auto read = s.tryRead(buffer_, 1, sizeof buffer_);
                   return read.ignoreResult().attach(kj::mv(stream));
                 })
                 .eagerlyEvaluate(nullptr);
}

uint16_t closedPort(kj::AsyncIoContext& io) {
  auto listener = listenOnLoopback(io);
  return static_cast<uint16_t>(listener->getPort());
}

kj::Own<kj::TlsContext> serverTls(const std::string& certPem, const std::string& keyPem) {
  kj::TlsKeypair keypair{kj::TlsPrivateKey(kj::StringPtr(keyPem.c_str())),
                         kj::TlsCertificate(kj::StringPtr(certPem.c_str()))};
  kj::TlsContext::Options options;
  options.defaultKeypair = keypair;
  // The context copies what it needs from the keypair before this returns.
  return kj::heap<kj::TlsContext>(kj::mv(options));
}

}  // namespace pitlog::webhooks::testing
