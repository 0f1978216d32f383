#include "keepalive_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace pitlog::campaigns::soak {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

KeepAliveConnection::~KeepAliveConnection() { close(); }

void KeepAliveConnection::connect() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("socket() failed");
  timeval tv{30, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port_));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close();
    throw std::runtime_error("connect() to 127.0.0.1:" + std::to_string(port_) + " failed");
  }
  used_ = false;
  buffer_.clear();
  ++reconnects_;
}

void KeepAliveConnection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

testing::HttpResponse KeepAliveConnection::request(const std::string& method,
                                                   const std::string& target,
                                                   const testing::Headers& headers,
                                                   const std::string& body) {
  std::string bytes = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& [name, value] : headers) bytes += name + ": " + value + "\r\n";
  bytes += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  testing::HttpResponse response;
  if (fd_ < 0) connect();
  const bool reused = used_;
  if (roundTrip(bytes, &response)) return response;
  close();
  if (!reused) throw std::runtime_error("the connection closed before an answer");
  connect();
  if (roundTrip(bytes, &response)) return response;
  close();
  throw std::runtime_error("a fresh connection closed before an answer");
}

bool KeepAliveConnection::roundTrip(const std::string& bytes, testing::HttpResponse* out) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  used_ = true;
  auto readMore = [&]() {
    char chunk[16384];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0) throw std::runtime_error("recv() failed or timed out");
    if (n == 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  };
  size_t headerEnd;
  while ((headerEnd = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!readMore()) {
      if (buffer_.empty()) return false;
      throw std::runtime_error("connection closed inside the headers");
    }
  }
  testing::HttpResponse r = testing::parseResponseHead(buffer_.substr(0, headerEnd));
  if (!r.hasContentLength) throw std::runtime_error("an answer without Content-Length");
  const size_t length = std::stoul(r.header("content-length"));
  const size_t bodyStart = headerEnd + 4;
  while (buffer_.size() < bodyStart + length) {
    if (!readMore()) throw std::runtime_error("connection closed inside the body");
  }
  r.body = buffer_.substr(bodyStart, length);
  buffer_.erase(0, bodyStart + length);
  if (lower(r.header("connection")) == "close") close();
  *out = std::move(r);
  return true;
}

}  // namespace pitlog::campaigns::soak
