// The SSRF guard, table-driven: which URLs may be webhook targets, and which addresses are
// public, in the spellings an attacker would try.
#include "webhooks/url_guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <catch2/catch.hpp>

#include <string>

using namespace pitlog::webhooks;

namespace {

// The refusal, or "(accepted)": readable in a failed CHECK, where an optional is not.
std::string verdict(std::string_view url, bool allowPrivate) {
  return refuseTargetUrl(url, allowPrivate).value_or("(accepted)");
}

}  // namespace

TEST_CASE("Public https URLs are accepted and split into host, port, Host header and target") {
  struct Case {
    const char* url;
    const char* host;
    bool hostIsAddress;
    uint16_t port;
    const char* authority;
    const char* target;
  };
  const Case cases[] = {
      {"https://hooks.example.com/pitlog", "hooks.example.com", false, 443, "hooks.example.com",
       "/pitlog"},
      {"HTTPS://Hooks.Example.COM", "hooks.example.com", false, 443, "hooks.example.com", "/"},
      {"https://hooks.example.com:8443/a/b?x=1&y=2", "hooks.example.com", false, 8443,
       "hooks.example.com:8443", "/a/b?x=1&y=2"},
      {"https://hooks.example.com./in", "hooks.example.com.", false, 443, "hooks.example.com.",
       "/in"},
      {"https://93.184.216.34/in", "93.184.216.34", true, 443, "93.184.216.34", "/in"},
      {"https://[2606:2800:220:1:248:1893:25c8:1946]:444/", "2606:2800:220:1:248:1893:25c8:1946",
       true, 444, "[2606:2800:220:1:248:1893:25c8:1946]:444", "/"},
      {"https://a.example/p%20q", "a.example", false, 443, "a.example", "/p%20q"},
      // The path and query go out as written: not decoded, re-encoded or normalised (kj::Url's
      // re-serialization threw on a decoded ".." segment).
      {"https://a.example/%2e%2e/x", "a.example", false, 443, "a.example", "/%2e%2e/x"},
      {"https://a.example/a/../b//c/./d;p?q=a+b&r=%20&s", "a.example", false, 443, "a.example",
       "/a/../b//c/./d;p?q=a+b&r=%20&s"},
      {"https://a.example?only=query", "a.example", false, 443, "a.example", "/?only=query"},
  };
  for (const auto& c : cases) {
    INFO(c.url);
    ParsedTargetUrl parsed = parseTargetUrl(c.url, false);
    REQUIRE(parsed.target);
    CHECK(parsed.refusal.empty());
    CHECK(parsed.target->https);
    CHECK(parsed.target->host == c.host);
    CHECK(parsed.target->hostIsAddress == c.hostIsAddress);
    CHECK(parsed.target->port == c.port);
    CHECK(parsed.target->authority == c.authority);
    CHECK(parsed.target->target == c.target);
    CHECK(verdict(c.url, false) == "(accepted)");
  }
}

TEST_CASE("Malformed or unsafe webhook URLs are refused with the reason, private allowed or not") {
  struct Case {
    std::string url;
    std::string reason;
  };
  const Case cases[] = {
      {"", "a webhook URL must be an absolute URL (https://host/path)"},
      {"hooks.example.com/in", "a webhook URL must be an absolute URL (https://host/path)"},
      {"/relative/path", "a webhook URL must be an absolute URL (https://host/path)"},
      {"mailto:ops@example.com", "a webhook URL must be an absolute URL (https://host/path)"},
      {"ftp://hooks.example.com/", "a webhook URL must use https or http"},
      {"file:///etc/passwd", "a webhook URL must use https or http"},
      {"gopher://127.0.0.1:6379/_INFO", "a webhook URL must use https or http"},
      {"https://user:pw@hooks.example.com/",
       "a webhook URL must not carry a user name or password"},
      {"https://user@hooks.example.com/", "a webhook URL must not carry a user name or password"},
      {"https://hooks.example.com/in#frag", "a webhook URL must not have a fragment (#...)"},
      {"https://hooks.example.com:0/", "a webhook URL's port must be a number from 1 to 65535"},
      {"https://hooks.example.com:65536/", "a webhook URL's port must be a number from 1 to 65535"},
      {"https://hooks.example.com:-1/", "a webhook URL's port must be a number from 1 to 65535"},
      {"https://hooks.example.com:0x50/", "a webhook URL's port must be a number from 1 to 65535"},
      {"https://hooks.example.com:/", "a webhook URL's port must be a number from 1 to 65535"},
      {"https:///in", "a webhook URL needs a host"},
      {"https://:443/in", "a webhook URL needs a host"},
      {"https://hooks example.com/", "a webhook URL is printable ASCII without spaces"},
      {"https://hooks.example.com/in\r\nX-Injected: 1",
       "a webhook URL is printable ASCII without spaces"},
      {"https://b\xc3\xbc" "cher.example/", "a webhook URL is printable ASCII without spaces"},
      {"https://hooks.example.com/" + std::string(1975, 'a'),
       "a webhook URL is at most 2000 characters"},  // 2001
      {"https://::1/", "an IPv6 address in a webhook URL goes in brackets ([::1])"},
      {"https://[::1/", "the host in brackets is not an IPv6 address"},
      {"https://[fe80::1%25eth0]/",  // a zone: kj's URL parser refuses '%' in a host
       "a webhook URL must be an absolute URL (https://host/path)"},
      {"https://[hooks.example.com]/", "the host in brackets is not an IPv6 address"},
      {"https://1.2.3.4.5/", "a webhook URL's host looks like an IPv4 address but is not one"},
      {"https://1.2.3.256/", "a webhook URL's host looks like an IPv4 address but is not one"},
      {"https://4294967296/", "a webhook URL's host looks like an IPv4 address but is not one"},
      {"https://08.1.2.3/", "a webhook URL's host looks like an IPv4 address but is not one"},
      {"https://hooks..example.com/", "a webhook URL's host has an empty label"},
      {"https://a.example/%zz", "a webhook URL must be an absolute URL (https://host/path)"},
      {"https://a.example\\evil/", "a webhook URL must be an absolute URL (https://host/path)"},
      {"https://.example.com/", "a webhook URL's host has an empty label"},
      {"https://" + std::string(64, 'a') + ".example/",
       "a webhook URL's host has a label longer than 63 characters"},
      {"https://" + std::string(4 * 63 + 3, 'a').replace(63, 1, ".").replace(127, 1, ".")
                        .replace(191, 1, ".") + "/",
       "a webhook URL's host name is longer than 253 characters"},
  };
  for (const auto& c : cases) {
    INFO(c.url);
    for (bool allowPrivate : {false, true}) {
      std::string expected = c.reason;
      if (!allowPrivate && expected == "a webhook URL must use https or http") {
        expected = "a webhook URL must use https";
      }
      CHECK(verdict(c.url, allowPrivate) == expected);
      CHECK_FALSE(parseTargetUrl(c.url, allowPrivate).target);
    }
  }
}

TEST_CASE("http is refused unless private targets are allowed, then it takes port 80") {
  CHECK(verdict("http://hooks.example.com/in", false) == "a webhook URL must use https");
  CHECK(verdict("HTTP://hooks.example.com/in", false) == "a webhook URL must use https");
  ParsedTargetUrl parsed = parseTargetUrl("http://hooks.example.com/in", true);
  REQUIRE(parsed.target);
  CHECK_FALSE(parsed.target->https);
  CHECK(parsed.target->port == 80);
}

TEST_CASE("Private and reserved IP hosts are refused in every spelling, allowed with the flag") {
  struct Case {
    const char* url;
    const char* address;  // as the refusal names it
  };
  const Case cases[] = {
      {"https://127.0.0.1/", "127.0.0.1"},
      {"https://127.0.0.1./", "127.0.0.1"},             // trailing dot
      {"https://2130706433/", "127.0.0.1"},             // one decimal number
      {"https://0x7f000001/", "127.0.0.1"},             // one hex number
      {"https://0x7f.1/", "127.0.0.1"},                 // hex, two parts
      {"https://0177.0.0.1/", "127.0.0.1"},             // octal
      {"https://127.1/", "127.0.0.1"},                  // short form
      {"https://%31%32%37.0.0.1/", "127.0.0.1"},        // percent-encoded
      {"https://0/", "0.0.0.0"},
      {"https://10.1.2.3:8443/", "10.1.2.3"},
      {"https://169.254.169.254/latest/meta-data/", "169.254.169.254"},
      {"https://172.31.255.255/", "172.31.255.255"},
      {"https://192.168.0.1/", "192.168.0.1"},
      {"https://100.64.0.1/", "100.64.0.1"},
      {"https://255.255.255.255/", "255.255.255.255"},
      {"https://[::1]/", "::1"},
      {"https://[::]/", "::"},
      {"https://[0:0:0:0:0:0:0:1]/", "::1"},
      {"https://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1"},
      {"https://[::ffff:7f00:1]/", "::ffff:127.0.0.1"},
      {"https://[::ffff:a9fe:a9fe]/", "::ffff:169.254.169.254"},
      {"https://[64:ff9b::10.0.0.1]/", "64:ff9b::a00:1"},
      {"https://[2002:7f00:1::]/", "2002:7f00:1::"},
      {"https://[FE80::1]/", "fe80::1"},
      {"https://[fd12:3456::1]/", "fd12:3456::1"},
      {"https://[ff02::1]/", "ff02::1"},
      {"https://[2001:db8::1]/", "2001:db8::1"},
  };
  for (const auto& c : cases) {
    INFO(c.url);
    CHECK(verdict(c.url, false) == "address " + std::string(c.address) + " is private");
    ParsedTargetUrl allowed = parseTargetUrl(c.url, true);
    REQUIRE(allowed.target);
    CHECK(allowed.target->host == c.address);
    CHECK(allowed.target->hostIsAddress);
  }
}

TEST_CASE("isPublicAddress draws every special-purpose block's edges") {
  struct Case {
    const char* address;
    bool isPublic;
  };
  const Case cases[] = {
      // IPv4: each block's first and last address, and its neighbours outside.
      {"0.0.0.0", false}, {"0.255.255.255", false}, {"1.0.0.0", true},
      {"9.255.255.255", true}, {"10.0.0.0", false}, {"10.255.255.255", false}, {"11.0.0.0", true},
      {"100.63.255.255", true}, {"100.64.0.0", false}, {"100.127.255.255", false},
      {"100.128.0.0", true},
      {"126.255.255.255", true}, {"127.0.0.0", false}, {"127.255.255.255", false},
      {"128.0.0.0", true},
      {"169.253.255.255", true}, {"169.254.0.0", false}, {"169.254.255.255", false},
      {"169.255.0.0", true},
      {"172.15.255.255", true}, {"172.16.0.0", false}, {"172.31.255.255", false},
      {"172.32.0.0", true},
      {"191.255.255.255", true}, {"192.0.0.0", false}, {"192.0.0.255", false},
      {"192.0.1.0", true}, {"192.0.2.0", false}, {"192.0.2.255", false}, {"192.0.3.0", true},
      {"192.167.255.255", true}, {"192.168.0.0", false}, {"192.168.255.255", false},
      {"192.169.0.0", true},
      {"198.17.255.255", true}, {"198.18.0.0", false}, {"198.19.255.255", false},
      {"198.20.0.0", true},
      {"198.51.99.255", true}, {"198.51.100.0", false}, {"198.51.100.255", false},
      {"198.51.101.0", true},
      {"203.0.112.255", true}, {"203.0.113.0", false}, {"203.0.113.255", false},
      {"203.0.114.0", true},
      {"223.255.255.255", true}, {"224.0.0.0", false}, {"239.255.255.255", false},
      {"240.0.0.0", false}, {"255.255.255.254", false}, {"255.255.255.255", false},
      {"8.8.8.8", true}, {"93.184.216.34", true},
      // IPv6.
      {"::", false}, {"::1", false}, {"::2", false}, {"::8.8.8.8", true},
      {"::ffff:8.8.8.8", true}, {"::ffff:10.0.0.1", false}, {"::ffff:127.0.0.1", false},
      {"64:ff9b::8.8.8.8", true}, {"64:ff9b::192.168.1.1", false},
      {"64:ff9b:1::8.8.8.8", false},
      {"2002:808:808::1", true}, {"2002:a00:1::1", false}, {"2002:c0a8:101::", false},
      {"fbff:ffff::1", true}, {"fc00::", false}, {"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false},
      {"fe80::", false}, {"febf:ffff::1", false}, {"fec0::1", true},
      {"ff00::", false}, {"ff02::1", false},
      {"2001:db8::", false}, {"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", false},
      {"2001:db9::1", true}, {"2001::1", false}, {"100::1", false},
      {"2606:4700:4700::1111", true}, {"2a00:1450:4001:80b::200e", true},
      // Not addresses at all.
      {"", false}, {"localhost", false}, {"[::1]", false}, {"2130706433", false},
      {"127.0.0.1 ", false},
  };
  for (const auto& c : cases) {
    INFO(c.address);
    CHECK(isPublicAddress(std::string_view(c.address)) == c.isPublic);
  }
}

TEST_CASE("isPublicAddress judges sockaddrs of either family and refuses other families") {
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  REQUIRE(inet_pton(AF_INET, "127.0.0.1", &v4.sin_addr) == 1);
  CHECK_FALSE(isPublicAddress(reinterpret_cast<const sockaddr*>(&v4)));
  REQUIRE(inet_pton(AF_INET, "8.8.4.4", &v4.sin_addr) == 1);
  CHECK(isPublicAddress(reinterpret_cast<const sockaddr*>(&v4)));

  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  REQUIRE(inet_pton(AF_INET6, "::ffff:169.254.169.254", &v6.sin6_addr) == 1);
  CHECK_FALSE(isPublicAddress(reinterpret_cast<const sockaddr*>(&v6)));
  REQUIRE(inet_pton(AF_INET6, "2606:4700:4700::1111", &v6.sin6_addr) == 1);
  CHECK(isPublicAddress(reinterpret_cast<const sockaddr*>(&v6)));

  sockaddr unix{};
  unix.sa_family = AF_UNIX;
  CHECK_FALSE(isPublicAddress(&unix));
  CHECK_FALSE(isPublicAddress(static_cast<const sockaddr*>(nullptr)));
}

TEST_CASE("A webhook URL of 2000 characters is accepted and one of 2001 is refused") {
  const std::string base = "https://hooks.example.com/";
  CHECK(verdict(base + std::string(2000 - base.size(), 'a'), false) == "(accepted)");
  CHECK(verdict(base + std::string(2001 - base.size(), 'a'), false) ==
        "a webhook URL is at most 2000 characters");
}
