#include "webhooks/host_resolver.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <cstring>

#include <kj/thread.h>

#include "webhooks/url_guard.h"

namespace pitlog::webhooks {

namespace {

Resolution lookUp(const std::string& host, uint16_t port, int flags) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  hints.ai_flags = AI_NUMERICSERV | flags;
  addrinfo* list = nullptr;
  const std::string service = std::to_string(port);
  Resolution out;
  int status = getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
  if (status != 0) {
    out.error = "cannot resolve host " + host + ": " + gai_strerror(status);
    return out;
  }
  for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    if (ai->ai_addrlen > sizeof(sockaddr_storage)) continue;
    ResolvedAddress address;
    std::memcpy(&address.storage, ai->ai_addr, ai->ai_addrlen);
    address.length = ai->ai_addrlen;
    address.text = addressText(ai->ai_addr);
    bool seen = false;
    for (const auto& a : out.addresses) seen = seen || a.text == address.text;
    if (!seen) out.addresses.push_back(std::move(address));
  }
  freeaddrinfo(list);
  if (out.addresses.empty()) out.error = "cannot resolve host " + host + ": no IP address";
  return out;
}

}  // namespace

kj::Promise<Resolution> resolveHost(const std::string& host, uint16_t port) {
  // An address's text needs no lookup: answer at once, without a thread.
  Resolution numeric = lookUp(host, port, AI_NUMERICHOST);
  if (!numeric.addresses.empty()) return kj::mv(numeric);

  auto paf = kj::newPromiseAndCrossThreadFulfiller<Resolution>();
  kj::Thread([host, port, fulfiller = kj::mv(paf.fulfiller)]() mutable {
    // If the attempt was cancelled meanwhile (its timeout), fulfill() drops the answer.
    fulfiller->fulfill(lookUp(host, port, 0));
  }).detach();
  return kj::mv(paf.promise);
}

}  // namespace pitlog::webhooks
