#pragma once
// The Sender that delivers over the network: one signed POST per attempt, on a connection of its
// own. That costs a TCP (and TLS) handshake per message, which the volume of token lifecycle
// events affords, and keeps every connection on an address checked for that very attempt.
//
// Per attempt: the message's id must be a valid webhook-id (isValidMessageId); the URL is checked
// by the SSRF guard (url_guard.h); the host is resolved once and every address it resolved to is
// checked by isPublicAddress() unless private targets are allowed; only an address that passed is
// connected to, the very one checked (no second resolution that a rebinding DNS server could
// answer differently). Over https the receiver's certificate must chain to the system's trust
// store (or extraTrustedCaPem) and name the URL's host; kj's TLS client (0.9.2) matches host
// names only, so an https URL whose host is an IP address fails that check ("hostname
// mismatch"). The request carries `content-type: application/json`, `webhook-id`,
// `webhook-timestamp`, `webhook-signature` and `user-agent: pitlog-webhooks/<version>`. A redirect
// is not followed: a 3xx is reported with its status like any other. At most 64 KiB of the
// response body is read, and discarded. The whole attempt (resolve, connect, TLS, send, status)
// ends within `timeout`: a receiver that hangs or trickles is cut, "timed out after …"; a body
// still trickling after the status arrived does not turn the status into a failure.
//
// Ownership and threads: the sender belongs to the event loop of `io` and must outlive every
// promise its send() returned. A host name is resolved on a short-lived thread of its own
// (getaddrinfo() blocks); nothing else leaves the loop.
#include <chrono>
#include <string>

#include <kj/async-io.h>
#include <kj/memory.h>

#include "webhooks/sender.h"

namespace pitlog::webhooks {

struct SenderOptions {
  // Allow http and private addresses (pitd's --webhooks-allow-private): tests, private networks.
  bool allowPrivate = false;
  // The bound on one whole attempt.
  std::chrono::milliseconds timeout{10000};
  // PEM certificate(s) trusted besides the system's store. Tests only (a receiver on loopback
  // with a self-signed certificate); empty in production.
  std::string extraTrustedCaPem;
};

// Throws (kj::Exception) only when the timeout is not positive or extraTrustedCaPem is set and
// holds no PEM certificate.
kj::Own<Sender> makeHttpSender(kj::AsyncIoProvider& io, const SenderOptions& options);

}  // namespace pitlog::webhooks
