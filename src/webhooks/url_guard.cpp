#include "webhooks/url_guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <variant>

#include <kj/compat/url.h>
#include <kj/exception.h>

namespace pitlog::webhooks {

namespace {

// --- addresses -------------------------------------------------------------------------------

struct Ipv4Block {
  uint32_t network;
  int prefix;
};

// Not globally reachable unicast (IANA's special-purpose registry, the ones a server may never
// be sent to on a subscriber's word).
constexpr std::array<Ipv4Block, 14> kNonPublicIpv4 = {{
    {0x00000000, 8},   // 0.0.0.0/8 "this network"
    {0x0a000000, 8},   // 10.0.0.0/8 private
    {0x64400000, 10},  // 100.64.0.0/10 carrier-grade NAT
    {0x7f000000, 8},   // 127.0.0.0/8 loopback
    {0xa9fe0000, 16},  // 169.254.0.0/16 link-local (cloud metadata services live here)
    {0xac100000, 12},  // 172.16.0.0/12 private
    {0xc0000000, 24},  // 192.0.0.0/24 IETF protocol assignments
    {0xc0000200, 24},  // 192.0.2.0/24 documentation
    {0xc0a80000, 16},  // 192.168.0.0/16 private
    {0xc6120000, 15},  // 198.18.0.0/15 benchmarking
    {0xc6336400, 24},  // 198.51.100.0/24 documentation
    {0xcb007100, 24},  // 203.0.113.0/24 documentation
    {0xe0000000, 4},   // 224.0.0.0/4 multicast
    {0xf0000000, 4},   // 240.0.0.0/4 reserved, 255.255.255.255 broadcast included
}};

bool isPublicIpv4(uint32_t address) {  // host byte order
  for (const auto& block : kNonPublicIpv4) {
    const uint32_t mask = ~uint32_t{0} << (32 - block.prefix);
    if ((address & mask) == block.network) return false;
  }
  return true;
}

uint32_t ipv4At(const uint8_t* bytes) {
  return uint32_t(bytes[0]) << 24 | uint32_t(bytes[1]) << 16 | uint32_t(bytes[2]) << 8 | bytes[3];
}

bool startsWith(const uint8_t* address, std::initializer_list<uint8_t> prefix) {
  return std::memcmp(address, prefix.begin(), prefix.size()) == 0;
}

bool isPublicIpv6(const uint8_t* a) {
  static constexpr uint8_t kZeros[12] = {};
  // Forms that carry an IPv4 address are as public as that address: ::/96 (IPv4-compatible, and
  // :: and ::1 with it), ::ffff:0:0/96 (mapped), 64:ff9b::/96 (NAT64), 2002::/16 (6to4).
  if (std::memcmp(a, kZeros, 12) == 0) return isPublicIpv4(ipv4At(a + 12));
  if (std::memcmp(a, kZeros, 10) == 0 && a[10] == 0xff && a[11] == 0xff) {
    return isPublicIpv4(ipv4At(a + 12));
  }
  if (startsWith(a, {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0})) {
    return isPublicIpv4(ipv4At(a + 12));
  }
  if (startsWith(a, {0x20, 0x02})) return isPublicIpv4(ipv4At(a + 2));
  if ((a[0] & 0xfe) == 0xfc) return false;                          // fc00::/7 unique local
  if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) return false;          // fe80::/10 link-local
  if (a[0] == 0xff) return false;                                   // ff00::/8 multicast
  if (startsWith(a, {0x20, 0x01, 0x0d, 0xb8})) return false;        // 2001:db8::/32 documentation
  if (startsWith(a, {0x20, 0x01, 0x00, 0x00})) return false;        // 2001::/32 Teredo tunnels
  if (startsWith(a, {0x01, 0x00, 0, 0, 0, 0, 0, 0})) return false;  // 100::/64 discard
  if (startsWith(a, {0x00, 0x64, 0xff, 0x9b, 0x00, 0x01})) return false;  // 64:ff9b:1::/48
  return true;
}

// --- hosts -----------------------------------------------------------------------------------

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isHexDigit(char c) { return isDigit(c) || (c >= 'a' && c <= 'f'); }

// WHATWG URL's rule: a host whose last label is a number (decimal, or 0x hex) is an IPv4 address
// or nothing; resolvers read such hosts as addresses too, so they may never reach DNS as names.
bool endsInANumber(std::string_view host) {
  size_t dot = host.rfind('.');
  std::string_view last = dot == std::string_view::npos ? host : host.substr(dot + 1);
  if (last.empty()) return false;
  if (last.size() >= 2 && last[0] == '0' && last[1] == 'x') {
    for (char c : last.substr(2)) if (!isHexDigit(c)) return false;
    return true;
  }
  for (char c : last) if (!isDigit(c)) return false;
  return true;
}

struct Host {
  std::string name;  // a DNS name, or the canonical text of an address
  std::optional<sockaddr_storage> address;
};

sockaddr_storage ipv4Sockaddr(in_addr in) {
  sockaddr_storage storage{};
  auto* sin = reinterpret_cast<sockaddr_in*>(&storage);
  sin->sin_family = AF_INET;
  sin->sin_addr = in;
  return storage;
}

// The host part of an authority (without the port): an address or a name, or a refusal.
std::variant<Host, std::string> readHost(std::string_view host) {
  if (host.empty()) return std::string("a webhook URL needs a host");
  if (host.front() == '[') {
    std::string inside(host.substr(1, host.size() - 2));
    sockaddr_storage storage{};
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&storage);
    sin6->sin6_family = AF_INET6;
    if (host.back() != ']' || inet_pton(AF_INET6, inside.c_str(), &sin6->sin6_addr) != 1) {
      return std::string("the host in brackets is not an IPv6 address");
    }
    return Host{addressText(reinterpret_cast<sockaddr*>(&storage)), storage};
  }
  for (char c : host) {
    if (!(isDigit(c) || (c >= 'a' && c <= 'z') || c == '-' || c == '.' || c == '_')) {
      return std::string("a webhook URL's host is a DNS name (letters, digits, '-', '.'), an IPv4 "
                         "address or an IPv6 address in brackets");
    }
  }
  // One trailing dot (a fully qualified name) does not change which host is meant.
  std::string_view bare = host.back() == '.' ? host.substr(0, host.size() - 1) : host;
  if (bare.empty() || bare.find("..") != std::string_view::npos || bare.front() == '.') {
    return std::string("a webhook URL's host has an empty label");
  }
  // RFC 1035's limits: a name no resolver could look up is refused here, not at every attempt.
  if (bare.size() > 253) {
    return std::string("a webhook URL's host name is longer than 253 characters");
  }
  for (size_t start = 0; start < bare.size();) {
    size_t dot = std::min(bare.find('.', start), bare.size());
    if (dot - start > 63) {
      return std::string("a webhook URL's host has a label longer than 63 characters");
    }
    start = dot + 1;
  }
  if (endsInANumber(bare)) {
    in_addr in{};
    if (inet_aton(std::string(bare).c_str(), &in) != 1) {
      return std::string("a webhook URL's host looks like an IPv4 address but is not one");
    }
    sockaddr_storage storage = ipv4Sockaddr(in);
    return Host{addressText(reinterpret_cast<sockaddr*>(&storage)), storage};
  }
  return Host{std::string(host), std::nullopt};
}

// The path and query exactly as the URL spells them (it is printable ASCII without spaces, so
// it is safe in a request line), at least "/". Re-serializing kj::Url's parse instead would
// decode and re-encode them, and throws on a decoded ".." segment ("/%2e%2e/").
std::string requestTarget(std::string_view url) {
  size_t start = url.find("//") + 2;  // the URL parsed as absolute: it has an authority
  start = std::min(url.find_first_of("/?#", start), url.size());
  std::string target(url.substr(start, url.find('#', start) - start));
  if (target.empty() || target.front() != '/') target.insert(0, "/");
  return target;
}

}  // namespace

bool isPublicAddress(const struct sockaddr* address) {
  if (address == nullptr) return false;
  if (address->sa_family == AF_INET) {
    return isPublicIpv4(ntohl(reinterpret_cast<const sockaddr_in*>(address)->sin_addr.s_addr));
  }
  if (address->sa_family == AF_INET6) {
    return isPublicIpv6(reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr.s6_addr);
  }
  return false;
}

bool isPublicAddress(std::string_view text) {
  std::string copy(text);
  sockaddr_storage storage{};
  auto* sin = reinterpret_cast<sockaddr_in*>(&storage);
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (inet_pton(AF_INET, copy.c_str(), &sin->sin_addr) == 1) {
    sin->sin_family = AF_INET;
  } else if (inet_pton(AF_INET6, copy.c_str(), &sin6->sin6_addr) == 1) {
    sin6->sin6_family = AF_INET6;
  } else {
    return false;
  }
  return isPublicAddress(reinterpret_cast<const sockaddr*>(&storage));
}

std::string addressText(const struct sockaddr* address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, text,
              sizeof text);
  } else if (address->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, text,
              sizeof text);
  }
  return text;
}

std::string privateAddressRefusal(std::string_view address) {
  return "address " + std::string(address) + " is private";
}

ParsedTargetUrl parseTargetUrl(std::string_view url, bool allowPrivate) {
  auto refuse = [](std::string reason) { return ParsedTargetUrl{std::nullopt, std::move(reason)}; };
  if (url.size() > kMaxTargetUrlLength) {
    return refuse("a webhook URL is at most 2000 characters");
  }
  for (char c : url) {
    if (c <= ' ' || c > '~') return refuse("a webhook URL is printable ASCII without spaces");
  }
  std::string text(url);
  kj::Maybe<kj::Url> parsed;
  // tryParse() answers null for what it refuses; its internal assertions must not make the guard
  // throw either: whatever the parser cannot take is refused.
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() {
                parsed = kj::Url::tryParse(kj::StringPtr(text.c_str(), text.size()));
              })) {
    parsed = nullptr;
  }
  kj::Url* u = nullptr;
  KJ_IF_MAYBE(p, parsed) { u = p; }
  if (u == nullptr) return refuse("a webhook URL must be an absolute URL (https://host/path)");

  TargetUrl target;
  if (u->scheme == "https") {
    target.https = true;
  } else if (u->scheme == "http" && allowPrivate) {
    target.https = false;
  } else {
    return refuse(allowPrivate ? "a webhook URL must use https or http"
                               : "a webhook URL must use https");
  }
  if (u->userInfo != nullptr) {
    return refuse("a webhook URL must not carry a user name or password");
  }
  if (u->fragment != nullptr) return refuse("a webhook URL must not have a fragment (#...)");

  // kj keeps the port in `host`: split it off after the last ':' that follows any brackets.
  std::string_view authority(u->host.cStr(), u->host.size());
  std::string_view hostPart = authority;
  target.port = target.https ? 443 : 80;
  size_t close = authority.rfind(']');
  size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && (close == std::string_view::npos || colon > close)) {
    if (authority.front() != '[' && authority.find(':') != colon) {
      return refuse("an IPv6 address in a webhook URL goes in brackets ([::1])");
    }
    hostPart = authority.substr(0, colon);
    std::string_view digits = authority.substr(colon + 1);
    unsigned port = 0;
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() ||
        port < 1 || port > 65535) {
      return refuse("a webhook URL's port must be a number from 1 to 65535");
    }
    target.port = static_cast<uint16_t>(port);
  }
  auto host = readHost(hostPart);
  if (auto* reason = std::get_if<std::string>(&host)) return refuse(std::move(*reason));
  Host& h = std::get<Host>(host);
  if (h.address && !allowPrivate && !isPublicAddress(reinterpret_cast<sockaddr*>(&*h.address))) {
    return refuse(privateAddressRefusal(h.name));
  }
  target.host = std::move(h.name);
  target.hostIsAddress = h.address.has_value();
  target.authority = std::string(authority);
  target.target = requestTarget(url);
  return {std::move(target), {}};
}

std::optional<std::string> refuseTargetUrl(std::string_view url, bool allowPrivate) {
  ParsedTargetUrl parsed = parseTargetUrl(url, allowPrivate);
  if (parsed.target) return std::nullopt;
  return std::move(parsed.refusal);
}

}  // namespace pitlog::webhooks
