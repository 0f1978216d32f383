#pragma once
// The SSRF guard: the one place that says which webhook targets pitd may call. A subscription's
// URL is checked when it is stored (refuseTargetUrl) and again by the sender before every attempt
// (parseTargetUrl), and every address a host name resolves to is checked before connecting
// (isPublicAddress), so a name that later resolves to an internal address is caught too.
//
// The rules: an absolute URL of at most 2000 printable ASCII characters, scheme `https` (or
// `http` when private targets are allowed), a host, no user name or password, no fragment, a port
// from 1 to 65535, a host name within DNS's limits (labels of 1 to 63 characters, 253 in all). A
// host that is an IP address in any spelling getaddrinfo() would accept
// (`2130706433`, `0x7f.1`, `0177.0.0.1`, `127.1`, `[::ffff:127.0.0.1]`) is read as that address
// and must be public, unless private targets are allowed.
//
// Thread-safe: pure functions.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

struct sockaddr;

namespace pitlog::webhooks {

inline constexpr size_t kMaxTargetUrlLength = 2000;

// A target URL that passed the guard, split the way the sender needs it.
struct TargetUrl {
  bool https = true;
  // The name to resolve, or the canonical text of the literal address (`127.0.0.1`, `::1`):
  // lower-case, without brackets.
  std::string host;
  bool hostIsAddress = false;
  uint16_t port = 443;
  std::string authority;  // the `Host` header: the URL's host and port as written, lower-cased
  std::string target;     // the request target: path and query as the URL spells them, or "/"
};

struct ParsedTargetUrl {
  std::optional<TargetUrl> target;
  std::string refusal;  // why not, when !target: "a webhook URL must use https", ...
};
ParsedTargetUrl parseTargetUrl(std::string_view url, bool allowPrivate);

// Why `url` may not be a webhook target, or nullopt when it may. Reasons are sentences fit for a
// 400 answer and name what is wrong ("address 10.0.0.1 is private"), never more of the URL.
std::optional<std::string> refuseTargetUrl(std::string_view url, bool allowPrivate);

// Whether pitd may connect to this address when private targets are not allowed: false for
// IPv4 0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12, 192.0.0/24, 192.0.2/24, 192.168/16,
// 198.18/15, 198.51.100/24, 203.0.113/24, 224/4, 240/4 (255.255.255.255 included); for IPv6
// ::/128, ::1, fc00::/7, fe80::/10, ff00::/8, 2001:db8::/32, 100::/64, Teredo 2001::/32 and
// 64:ff9b:1::/48; IPv6 forms that carry an IPv4 address are judged by it (::ffff:0:0/96 mapped,
// ::/96 compatible, 64:ff9b::/96 NAT64, 2002::/16 6to4). False for any other family.
bool isPublicAddress(const struct sockaddr* address);
// The same for the text of an address (`10.0.0.1`, `::1`; strict inet_pton forms, no brackets).
// False when the text is not an IP address.
bool isPublicAddress(std::string_view address);

// An IPv4 or IPv6 address as inet_ntop() writes it ("10.0.0.1", "::ffff:127.0.0.1"); empty for
// any other family.
std::string addressText(const struct sockaddr* address);

// The refusal for an address that is not public, one wording everywhere: "address X is private".
std::string privateAddressRefusal(std::string_view address);

}  // namespace pitlog::webhooks
