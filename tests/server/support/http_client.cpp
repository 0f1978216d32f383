#include "support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <regex>
#include <stdexcept>

namespace pitlog::testing {

namespace {

class Socket {
 public:
  explicit Socket(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket() failed");
    timeval tv{30, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      throw std::runtime_error("connect() to 127.0.0.1:" + std::to_string(port) + " failed");
    }
  }
  ~Socket() { ::close(fd_); }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  // Sends everything it can; a server that answers early (413) may close before the body is
  // through, which is not an error for the client: the answer is still there to read.
  void sendAll(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<size_t>(n);
    }
  }

  // Appends what arrives to *buffer; false at EOF.
  bool readMore(std::string* buffer) {
    char chunk[16384];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0) throw std::runtime_error("recv() failed or timed out");
    if (n == 0) return false;
    buffer->append(chunk, static_cast<size_t>(n));
    return true;
  }

 private:
  int fd_ = -1;
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

}  // namespace

HttpResponse parseResponseHead(const std::string& head) {
  HttpResponse r;
  size_t lineEnd = head.find("\r\n");
  std::string statusLine = head.substr(0, lineEnd);
  if (statusLine.compare(0, 9, "HTTP/1.1 ") != 0) throw std::runtime_error("bad status line");
  r.status = std::stoi(statusLine.substr(9, 3));
  size_t pos = lineEnd == std::string::npos ? head.size() : lineEnd + 2;
  while (pos < head.size()) {
    size_t end = head.find("\r\n", pos);
    if (end == std::string::npos) end = head.size();
    std::string line = head.substr(pos, end - pos);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      r.headers.emplace(lower(line.substr(0, colon)), trim(line.substr(colon + 1)));
    }
    pos = end + 2;
  }
  r.hasContentLength = r.has("content-length");
  return r;
}

namespace {

HttpResponse roundTrip(int port, const std::string& bytes) {
  Socket socket(port);
  socket.sendAll(bytes);
  std::string in;
  size_t headerEnd;
  while ((headerEnd = in.find("\r\n\r\n")) == std::string::npos) {
    if (!socket.readMore(&in)) throw std::runtime_error("connection closed before the headers");
  }
  HttpResponse r = parseResponseHead(in.substr(0, headerEnd));
  std::string rest = in.substr(headerEnd + 4);
  if (r.hasContentLength) {
    size_t length = std::stoul(r.header("content-length"));
    while (rest.size() < length && socket.readMore(&rest)) {
    }
    // A body cut short (the server died mid-answer) is no answer: never pass it off as one.
    if (rest.size() < length) {
      throw std::runtime_error("connection closed after " + std::to_string(rest.size()) + " of " +
                               std::to_string(length) + " body bytes");
    }
    r.body = rest.substr(0, length);
  } else if (lower(r.header("transfer-encoding")) == "chunked") {
    std::string body;
    for (;;) {
      size_t crlf;
      while ((crlf = rest.find("\r\n")) == std::string::npos) {
        if (!socket.readMore(&rest)) throw std::runtime_error("truncated chunk");
      }
      size_t size = std::stoul(rest.substr(0, crlf), nullptr, 16);
      while (rest.size() < crlf + 2 + size + 2) {
        if (!socket.readMore(&rest)) throw std::runtime_error("truncated chunk");
      }
      body += rest.substr(crlf + 2, size);
      rest = rest.substr(crlf + 2 + size + 2);
      if (size == 0) break;
    }
    r.body = body;
  }
  return r;
}

}  // namespace

std::string HttpResponse::header(const std::string& lowerName) const {
  auto it = headers.find(lowerName);
  return it == headers.end() ? std::string() : it->second;
}

HttpResponse httpRequest(int port, const std::string& method, const std::string& target,
                         const Headers& headers, const std::string& body) {
  std::string bytes = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (const auto& [name, value] : headers) bytes += name + ": " + value + "\r\n";
  if (!body.empty() || method != "GET") bytes += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  bytes += "\r\n";
  bytes += body;
  return roundTrip(port, bytes);
}

HttpResponse httpRaw(int port, const std::string& bytes) { return roundTrip(port, bytes); }

std::string redacted(const std::string& text) {
  static const std::regex kToken("pit_[0-9A-Za-z]{49}");
  return std::regex_replace(text, kToken, "pit_<redacted>");
}

std::string basicAuthEncoding(const std::string& text) {
  static const char* kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < text.size(); i += 3) {
    const uint32_t n = (uint8_t(text[i]) << 16) | (uint8_t(text[i + 1]) << 8) | uint8_t(text[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(n >> shift) & 63];
  }
  if (i + 1 == text.size()) {
    const uint32_t n = uint8_t(text[i]) << 16;
    out += std::string{kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63]} + "==";
  } else if (i + 2 == text.size()) {
    const uint32_t n = (uint8_t(text[i]) << 16) | (uint8_t(text[i + 1]) << 8);
    out += std::string{kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63],
                       kAlphabet[(n >> 6) & 63]} + "=";
  }
  return out;
}

}  // namespace pitlog::testing
