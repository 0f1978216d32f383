#include "server/shared_listener.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace pitlog::server {

namespace {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  bool wildcard = false;  // "*": every address, IPv6 and IPv4 on one socket
};

// kj's resolution ("localhost" to its first address, "*" to the wildcard), made numeric.
SocketAddress resolve(kj::Network& network, kj::WaitScope& waitScope, const Endpoint& endpoint) {
  auto address = network.parseAddress(kj::str(endpoint.text().c_str())).wait(waitScope);
  std::string text = address->toString().cStr();  // "1.2.3.4:80", "[::1]:80", "*:80"
  const auto colon = text.rfind(':');
  std::string host = text.substr(0, colon);
  SocketAddress out;
  if (host == "*") {
    out.wildcard = true;
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_addr = in6addr_any;
    in6->sin6_port = htons(endpoint.port);
    out.length = sizeof(sockaddr_in6);
    return out;
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(endpoint.port);
    if (inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &in6->sin6_addr) == 1) {
      out.length = sizeof(sockaddr_in6);
      return out;
    }
  } else {
    auto* in4 = reinterpret_cast<sockaddr_in*>(&out.storage);
    in4->sin_family = AF_INET;
    in4->sin_port = htons(endpoint.port);
    if (inet_pton(AF_INET, host.c_str(), &in4->sin_addr) == 1) {
      out.length = sizeof(sockaddr_in);
      return out;
    }
  }
  throw std::runtime_error("cannot use the address " + text);
}

std::runtime_error systemError(const char* what) {
  return std::runtime_error(std::string(what) + ": " + std::strerror(errno));
}

int bindAndListen(const SocketAddress& address) {
  int fd = ::socket(address.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0 && address.wildcard && errno == EAFNOSUPPORT) {
    // No IPv6 on this host: the IPv4 wildcard.
    SocketAddress v4;
    auto* in4 = reinterpret_cast<sockaddr_in*>(&v4.storage);
    in4->sin_family = AF_INET;
    in4->sin_addr.s_addr = htonl(INADDR_ANY);
    in4->sin_port = reinterpret_cast<const sockaddr_in6*>(&address.storage)->sin6_port;
    v4.length = sizeof(sockaddr_in);
    return bindAndListen(v4);
  }
  if (fd < 0) throw systemError("socket");
  const int one = 1, zero = 0;
  // As kj's listen(): a restarted pitd binds its port at once, while old connections linger.
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (address.wildcard) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&address.storage), address.length) != 0 ||
      ::listen(fd, SOMAXCONN) != 0) {
    auto error = systemError("bind");
    ::close(fd);
    throw error;
  }
  return fd;
}

uint16_t boundPort(int fd) {
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length) != 0) {
    throw systemError("getsockname");
  }
  return bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                     : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
}

}  // namespace

SharedListener SharedListener::open(kj::Network& network, kj::WaitScope& waitScope,
                                    const Endpoint& endpoint) {
  const int fd = bindAndListen(resolve(network, waitScope, endpoint));
  try {
    return SharedListener(fd, boundPort(fd));
  } catch (...) {
    ::close(fd);
    throw;
  }
}

SharedListener::~SharedListener() { close(); }

void SharedListener::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

kj::Own<kj::ConnectionReceiver> SharedListener::receiver(
    kj::LowLevelAsyncIoProvider& provider) const {
  const int copy = ::fcntl(fd_, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) throw systemError("dup");
  return provider.wrapListenSocketFd(copy, kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP |
                                               kj::LowLevelAsyncIoProvider::ALREADY_CLOEXEC |
                                               kj::LowLevelAsyncIoProvider::ALREADY_NONBLOCK);
}

}  // namespace pitlog::server
