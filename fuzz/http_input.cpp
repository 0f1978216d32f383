#include "http_input.h"

#include <algorithm>
#include <cstdio>

namespace pitlog::fuzz {

namespace {

void replaceAll(std::string& s, std::string_view from, std::string_view to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
}

// Longest names first: "$ID2" must not be read as "$ID" followed by "2".
std::string substitute(std::string s, const Placeholders& v) {
  replaceAll(s, "$OTHER", v.other);
  replaceAll(s, "$TOKEN", v.token);
  replaceAll(s, "$KEY", v.key);
  replaceAll(s, "$ID2", v.id2);
  replaceAll(s, "$ID", v.id);
  return s;
}

}  // namespace

std::string decodeInput(std::string_view input, const Placeholders& values) {
  if (input.empty()) return {};
  const unsigned flags = static_cast<unsigned char>(input[0]);
  input.remove_prefix(1);
  if (flags & flag::kRaw) return substitute(std::string(input), values);
  if (input.empty()) return {};

  const std::string_view method = kMethods[static_cast<unsigned char>(input[0]) % kMethods.size()];
  input.remove_prefix(1);
  const size_t endPath = std::min(input.find(kSeparator), input.size());
  const std::string_view path = input.substr(0, endPath);
  input.remove_prefix(std::min(endPath + 1, input.size()));
  const size_t endHeaders = std::min(input.find(kSeparator), input.size());
  const std::string_view headers = input.substr(0, endHeaders);
  input.remove_prefix(std::min(endHeaders + 1, input.size()));
  const std::string body = substitute(std::string(input), values);

  std::string out;
  out.reserve(256 + headers.size() + body.size());
  out.append(method).append(" ").append(path.empty() ? "/" : path).append(" HTTP/1.1\r\n");
  out += "Host: pitd\r\n";
  if (flags & flag::kKey) out += "Authorization: Bearer $KEY\r\n";
  if (flags & flag::kActor) {
    out += "X-Actor-User: alice\r\n";
    out += (flags & flag::kAdmin) ? "X-Actor-Role: admin\r\n" : "X-Actor-Role: user\r\n";
  }
  if (flags & flag::kJson) out += "Content-Type: application/json\r\n";
  if (flags & flag::kClose) out += "Connection: close\r\n";
  for (size_t at = 0; at < headers.size();) {
    size_t end = std::min(headers.find('\n', at), headers.size());
    if (end > at) out.append(headers.substr(at, end - at)).append("\r\n");
    at = end + 1;
  }
  const bool chunked = flags & flag::kChunked;
  if (chunked) {
    out += "Transfer-Encoding: chunked\r\n";
  } else if (!body.empty() || method != "GET") {
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  out = substitute(std::move(out), values);
  out += "\r\n";
  if (chunked) {
    // Two chunks when there is enough body: the handler must join them.
    const size_t half = body.size() / 2;
    char size[32];
    for (std::string_view part : {std::string_view(body).substr(0, half),
                                  std::string_view(body).substr(half)}) {
      if (part.empty()) continue;
      std::snprintf(size, sizeof size, "%zx\r\n", part.size());
      out.append(size).append(part).append("\r\n");
    }
    out += "0\r\n\r\n";
  } else {
    out += body;
  }
  return out;
}

std::string encodeInput(unsigned flags, std::string_view method, std::string_view path,
                        std::string_view headers, std::string_view body) {
  auto m = std::find(kMethods.begin(), kMethods.end(), method);
  std::string out;
  out += static_cast<char>(flags & ~flag::kRaw);
  out += static_cast<char>(m == kMethods.end() ? 0 : m - kMethods.begin());
  out.append(path).append(1, kSeparator).append(headers).append(1, kSeparator).append(body);
  return out;
}

}  // namespace pitlog::fuzz
