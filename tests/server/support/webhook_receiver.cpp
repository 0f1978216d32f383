#include "support/webhook_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace pitlog::testing {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string header(const std::string& head, const std::string& name) {
  const std::string l = lower(head);
  const auto at = l.find("\r\n" + name + ":");
  if (at == std::string::npos) return {};
  auto start = at + 2 + name.size() + 1;
  auto end = head.find("\r\n", start);
  std::string v = head.substr(start, end - start);
  while (!v.empty() && v.front() == ' ') v.erase(v.begin());
  while (!v.empty() && v.back() == ' ') v.pop_back();
  return v;
}

}  // namespace

WebhookReceiver::WebhookReceiver() {
  listenOn(0);
  thread_ = std::thread([this] { serve(); });
}

WebhookReceiver::~WebhookReceiver() {
  stopping_ = true;
  thread_.join();
  if (listenFd_ >= 0) ::close(listenFd_);
  std::lock_guard<std::mutex> lock(mu_);
  for (int fd : held_) ::close(fd);
}

void WebhookReceiver::listenOn(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 16) != 0) {
    ::close(fd);
    throw std::runtime_error("webhook receiver: cannot listen");
  }
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  listenFd_ = fd;
}

std::string WebhookReceiver::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void WebhookReceiver::script(std::vector<int> statuses) {
  std::lock_guard<std::mutex> lock(mu_);
  script_.assign(statuses.begin(), statuses.end());
}

void WebhookReceiver::down() {
  int fd = listenFd_.exchange(-1);
  if (fd >= 0) ::close(fd);
}

void WebhookReceiver::up() {
  if (listenFd_ < 0) listenOn(port_);
}

std::vector<WebhookDelivery> WebhookReceiver::received() const {
  std::lock_guard<std::mutex> lock(mu_);
  return received_;
}

std::vector<WebhookDelivery> WebhookReceiver::waitFor(size_t n,
                                                      std::chrono::milliseconds bound) const {
  const auto until = std::chrono::steady_clock::now() + bound;
  for (;;) {
    auto got = received();
    if (got.size() >= n || std::chrono::steady_clock::now() > until) return got;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void WebhookReceiver::serve() {
  while (!stopping_) {
    const int fd = listenFd_;
    if (fd < 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    int c = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (c >= 0) handle(c);
  }
}

void WebhookReceiver::handle(int fd) {
  std::string data;
  char buf[4096];
  size_t headEnd = std::string::npos;
  size_t need = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    data.append(buf, static_cast<size_t>(n));
    if (headEnd == std::string::npos) {
      headEnd = data.find("\r\n\r\n");
      if (headEnd != std::string::npos) {
        need = headEnd + 4 + std::stoul("0" + header(data.substr(0, headEnd), "content-length"));
      }
    }
    if (headEnd != std::string::npos && data.size() >= need) break;
  }
  if (headEnd == std::string::npos || data.size() < need) {
    ::close(fd);
    return;
  }
  const std::string head = data.substr(0, headEnd);
  WebhookDelivery d{header(head, "webhook-id"), header(head, "webhook-timestamp"),
                    header(head, "webhook-signature"), data.substr(headEnd + 4, need - headEnd - 4),
                    0};
  if (hang_) {
    std::lock_guard<std::mutex> lock(mu_);
    received_.push_back(d);
    held_.push_back(fd);  // no answer: the sender's timeout must cut it
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    d.answered = 200;
    if (!script_.empty()) {
      d.answered = script_.front();
      script_.pop_front();
    }
    received_.push_back(d);
  }
  const std::string answer = "HTTP/1.1 " + std::to_string(d.answered) +
                             " X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  (void)::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
  ::close(fd);
}

}  // namespace pitlog::testing
