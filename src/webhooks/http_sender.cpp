#include "webhooks/http_sender.h"

#include <kj/compat/http.h>
#include <kj/compat/tls.h>
#include <kj/debug.h>

#include <string_view>

#include "webhooks/host_resolver.h"
#include "webhooks/signature.h"
#include "webhooks/url_guard.h"

#ifndef PITLOG_WEBHOOKS_VERSION
#error "PITLOG_WEBHOOKS_VERSION is defined by src/webhooks/CMakeLists.txt"
#endif

namespace pitlog::webhooks {

namespace {

constexpr size_t kMaxResponseBody = 64 * 1024;  // read, then discarded
constexpr std::string_view kUserAgent = "pitlog-webhooks/" PITLOG_WEBHOOKS_VERSION;

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

std::string describeTimeout(std::chrono::milliseconds timeout) {
  const auto ms = timeout.count();
  return "timed out after " +
         (ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms");
}

// An attempt's failure in words fit for the deliveries route. kj's descriptions name addresses
// and system errors, never the request (which holds no secret anyway: only its signature).
std::string describeFailure(const kj::Exception& exception) {
  std::string text = exception.getDescription().cStr();
  if (contains(text, "Connection refused")) return "connection refused";
  if (contains(text, "Connection reset")) return "connection reset by the receiver";
  if (contains(text, "Network is unreachable")) return "network unreachable";
  if (contains(text, "No route to host")) return "no route to host";
  if (contains(text, "certificate is not trusted")) {
    size_t reason = text.find("reason = ");
    return "TLS: the receiver's certificate is not trusted" +
           (reason == std::string::npos ? std::string() : " (" + text.substr(reason + 9) + ")");
  }
  if (exception.getType() == kj::Exception::Type::DISCONNECTED) {
    return "the receiver closed the connection before answering";
  }
  constexpr size_t kMaxLength = 200;
  if (text.size() > kMaxLength) text = text.substr(0, kMaxLength) + "…";
  return "failed: " + text;
}

// One attempt's state, shared by its steps and by the deadline that may cut them.
struct Attempt : public kj::Refcounted {
  TargetUrl target;
  std::string id;
  std::string timestamp;
  std::string body;
  std::string signature;  // the header value; the secret itself is not kept
  int status = 0;         // set once the receiver's status line has arrived
  std::string failure;    // a refusal or resolution error, in its own words
  kj::Array<kj::Own<kj::NetworkAddress>> addresses;  // resolved and allowed, in order
  kj::Own<kj::AsyncIoStream> stream;
  kj::Own<kj::HttpClient> client;
  kj::byte drainBuffer[4096];
};

class HttpSender final : public Sender {
 public:
  HttpSender(kj::AsyncIoProvider& io, const SenderOptions& options)
      : io_(io), options_(options), headerTable_(buildHeaderTable()), tls_(buildTls()) {}
  // KJ's destructors may throw; Sender's may not (an exception here would be a bug: terminate).
  ~HttpSender() noexcept override {}

  kj::Promise<AttemptResult> send(const WebhookMessage& message,
                                  kj::ArrayPtr<const kj::byte> secret) override {
    return kj::evalNow([&]() { return start(message, secret); })
        .catch_([](kj::Exception&& e) { return AttemptResult{0, describeFailure(e)}; });
  }

 private:
  kj::Own<kj::HttpHeaderTable> buildHeaderTable() {
    kj::HttpHeaderTable::Builder builder;
    userAgent_ = builder.add("user-agent");
    webhookId_ = builder.add("webhook-id");
    webhookTimestamp_ = builder.add("webhook-timestamp");
    webhookSignature_ = builder.add("webhook-signature");
    return builder.build();
  }

  kj::Own<kj::TlsContext> buildTls() {
    kj::TlsContext::Options tlsOptions;
    tlsOptions.useSystemTrustStore = true;
    tlsOptions.minVersion = kj::max(kj::TlsVersion::TLS_1_2, tlsOptions.minVersion);
    if (!options_.extraTrustedCaPem.empty()) {
      extraTrusted_ = kj::TlsCertificate(kj::StringPtr(options_.extraTrustedCaPem.c_str()));
      tlsOptions.trustedCertificates = kj::arrayPtr(&KJ_ASSERT_NONNULL(extraTrusted_), 1);
    }
    return kj::heap<kj::TlsContext>(kj::mv(tlsOptions));
  }

  kj::Promise<AttemptResult> start(const WebhookMessage& message,
                                   kj::ArrayPtr<const kj::byte> secret) {
    ParsedTargetUrl parsed = parseTargetUrl(message.url, options_.allowPrivate);
    if (!parsed.target) return AttemptResult{0, kj::mv(parsed.refusal)};
    if (!isValidMessageId(message.id)) {
      return AttemptResult{0, "the message's webhook-id is not 1 to 256 printable characters "
                              "without '.' or spaces"};
    }

    auto attempt = kj::refcounted<Attempt>();
    attempt->target = kj::mv(*parsed.target);
    attempt->id = message.id;
    attempt->timestamp = std::to_string(message.timestamp);
    attempt->body = message.body;
    attempt->signature = signMessage(secret, message.id, message.timestamp, message.body);

    Attempt& a = *attempt;
    auto exchange = resolveHost(a.target.host, a.target.port)
                        .then([this, &a](Resolution resolution) {
                          return connect(a, kj::mv(resolution));
                        })
                        .then([this, &a](kj::Own<kj::AsyncIoStream> stream)
                                  -> kj::Promise<kj::Own<kj::AsyncIoStream>> {
                          if (!a.target.https) return kj::mv(stream);
                          // Verifies the chain and that the certificate names the URL's host.
                          return tls_->wrapClient(kj::mv(stream), a.target.host.c_str());
                        })
                        .then([this, &a](kj::Own<kj::AsyncIoStream> stream) {
                          return post(a, kj::mv(stream));
                        })
                        .catch_([&a](kj::Exception&& e) {
                          if (!a.failure.empty()) return AttemptResult{0, a.failure};
                          return AttemptResult{0, describeFailure(e)};
                        });

    auto deadline = io_.getTimer()
                        .afterDelay(options_.timeout.count() * kj::MILLISECONDS)
                        .then([&a, timeout = options_.timeout]() {
                          // The status came and only the body is still trickling: it counts.
                          if (a.status != 0) return AttemptResult{a.status, {}};
                          return AttemptResult{0, describeTimeout(timeout)};
                        });
    return exchange.exclusiveJoin(kj::mv(deadline)).attach(kj::mv(attempt));
  }

  // Keeps the resolved addresses the guard lets through (all of them with allowPrivate), in
  // resolution order; with none left, the attempt fails with the first refusal.
  kj::Promise<kj::Own<kj::AsyncIoStream>> connect(Attempt& a, Resolution resolution) {
    kj::Vector<kj::Own<kj::NetworkAddress>> allowed;
    std::string firstRefusal;
    for (const auto& address : resolution.addresses) {
      if (!options_.allowPrivate &&
          !isPublicAddress(reinterpret_cast<const sockaddr*>(&address.storage))) {
        if (firstRefusal.empty()) firstRefusal = privateAddressRefusal(address.text);
        continue;
      }
      allowed.add(io_.getNetwork().getSockaddr(&address.storage, address.length));
    }
    if (allowed.empty()) {
      a.failure = resolution.addresses.empty() ? resolution.error : firstRefusal;
      return KJ_EXCEPTION(FAILED, "no address to connect to");
    }
    a.addresses = allowed.releaseAsArray();
    return connectFrom(a, 0);
  }

  // Tries the addresses in order; the first connection made is the one used.
  static kj::Promise<kj::Own<kj::AsyncIoStream>> connectFrom(Attempt& a, size_t index) {
    return a.addresses[index]->connect().catch_(
        [&a, index](kj::Exception&& e) -> kj::Promise<kj::Own<kj::AsyncIoStream>> {
          if (index + 1 >= a.addresses.size()) return kj::mv(e);
          return connectFrom(a, index + 1);
        });
  }

  kj::Promise<AttemptResult> post(Attempt& a, kj::Own<kj::AsyncIoStream> stream) {
    a.stream = kj::mv(stream);
    a.client = kj::newHttpClient(*headerTable_, *a.stream);
    kj::HttpHeaders headers(*headerTable_);
    headers.set(kj::HttpHeaderId::HOST, a.target.authority.c_str());
    headers.set(kj::HttpHeaderId::CONTENT_TYPE, "application/json");
    headers.set(userAgent_, kj::StringPtr(kUserAgent.data(), kUserAgent.size()));
    headers.set(webhookId_, a.id.c_str());
    headers.set(webhookTimestamp_, a.timestamp.c_str());
    headers.set(webhookSignature_, a.signature.c_str());
    auto request = a.client->request(kj::HttpMethod::POST, a.target.target.c_str(), headers,
                                      uint64_t(a.body.size()));
    auto written = request.body->write(a.body.data(), a.body.size()).attach(kj::mv(request.body));
    return written
        .then([response = kj::mv(request.response)]() mutable { return kj::mv(response); })
        .then([&a](kj::HttpClient::Response response) {
          a.status = response.statusCode;
          auto& body = *response.body;
          return drain(a, body, kMaxResponseBody)
              .attach(kj::mv(response.body))
              .then([&a]() { return AttemptResult{a.status, {}}; },
                    [&a](kj::Exception&&) { return AttemptResult{a.status, {}}; });
        });
  }

  // Reads and discards up to `remaining` bytes of the response body.
  static kj::Promise<void> drain(Attempt& a, kj::AsyncInputStream& body, size_t remaining) {
    if (remaining == 0) return kj::READY_NOW;
    size_t chunk = std::min(remaining, sizeof a.drainBuffer);
    return body.tryRead(a.drainBuffer, 1, chunk).then([&a, &body, remaining](size_t n) {
      if (n == 0) return kj::Promise<void>(kj::READY_NOW);
      return drain(a, body, remaining - n);
    });
  }

  kj::AsyncIoProvider& io_;
  SenderOptions options_;
  kj::HttpHeaderId userAgent_ = kj::HttpHeaderId::HOST;  // each set by buildHeaderTable()
  kj::HttpHeaderId webhookId_ = kj::HttpHeaderId::HOST;
  kj::HttpHeaderId webhookTimestamp_ = kj::HttpHeaderId::HOST;
  kj::HttpHeaderId webhookSignature_ = kj::HttpHeaderId::HOST;
  kj::Own<kj::HttpHeaderTable> headerTable_;
  kj::Maybe<kj::TlsCertificate> extraTrusted_;
  kj::Own<kj::TlsContext> tls_;
};

}  // namespace

kj::Own<Sender> makeHttpSender(kj::AsyncIoProvider& io, const SenderOptions& options) {
  KJ_REQUIRE(options.timeout.count() > 0, "a webhook attempt's timeout is positive",
             options.timeout.count());
  return kj::heap<HttpSender>(io, options);
}

}  // namespace pitlog::webhooks
