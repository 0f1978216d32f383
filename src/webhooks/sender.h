#pragma once
// The seam between the webhook delivery worker (which decides what to send to whom, in what
// order, and when to retry) and the transport that signs and POSTs one message (Standard
// Webhooks: https://www.standardwebhooks.com). The worker keeps every piece of delivery state;
// a Sender only tries once and says what happened.
//
// Thread-safety: a Sender belongs to the kj event loop it was made on; send() is called and its
// promise resolves on that loop.
#include <cstdint>
#include <string>

#include <kj/async.h>
#include <kj/common.h>

namespace pitlog::webhooks {

// One delivery attempt of one message to one subscription.
struct WebhookMessage {
  std::string url;    // the subscription's target, accepted by refuseTargetUrl() (url_guard.h)
  std::string id;     // `webhook-id`: the same on every attempt of this message (receivers dedupe)
  int64_t timestamp;  // `webhook-timestamp`: unix seconds of this attempt
  std::string body;   // the JSON payload, signed byte for byte
};

// What one attempt came to. Exactly one of: an HTTP status came back (status != 0), or it did
// not and `error` says why in words fit for the deliveries route ("timed out after 10 s",
// "connection refused", "address 10.0.0.1 is private", ...). Never a secret or a body.
struct AttemptResult {
  int status = 0;
  std::string error;
  bool delivered() const { return status >= 200 && status <= 299; }
};

class Sender {
 public:
  virtual ~Sender() = default;
  // Signs `message` with `secret` (the raw key bytes behind the subscription's `whsec_…`) and
  // POSTs it. Never throws and never rejects: every failure is an AttemptResult. Resolves within
  // the sender's timeout whatever the receiver does (a receiver that hangs or trickles is cut).
  virtual kj::Promise<AttemptResult> send(const WebhookMessage& message,
                                          kj::ArrayPtr<const kj::byte> secret) = 0;
};

}  // namespace pitlog::webhooks
