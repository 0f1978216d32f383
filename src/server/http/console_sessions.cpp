#include "server/http/console_sessions.h"

#include <openssl/rand.h>

#include <array>
#include <cstring>
#include <stdexcept>

namespace pitlog::server::http {

namespace {

constexpr int64_t kSweepEveryMs = 60 * 1000;

// 32 CSPRNG bytes in base64url without padding: 43 characters, safe in a URL and a cookie.
std::string newSecret() {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("the CSPRNG failed to give a console secret");
  }
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char b : bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 63];
  return out;
}

}  // namespace

size_t ConsoleSessions::DigestHash::operator()(const events::Digest& d) const {
  size_t h;
  std::memcpy(&h, d.data(), sizeof h);  // a SHA-256 digest is uniform already
  return h;
}

ConsoleSessions::ConsoleSessions(Clock clock) : clock_(std::move(clock)) {}

ConsoleSessions::Link ConsoleSessions::issueLink(const events::Actor& actor) {
  const int64_t now = clock_();
  sweep(now);
  Link link{newSecret(), now + kLinkLifetimeMs};
  links_[events::sha256(link.code)] = PendingLink{actor, link.expiresAt};
  return link;
}

std::optional<ConsoleSessions::Session> ConsoleSessions::redeem(std::string_view code) {
  const int64_t now = clock_();
  sweep(now);
  auto it = links_.find(events::sha256(code));
  if (it == links_.end()) return std::nullopt;
  PendingLink link = it->second;
  links_.erase(it);  // single use, whether or not it was still valid
  if (now >= link.expiresAt) return std::nullopt;
  Session session{newSecret(), link.actor, now + kMaxLifetimeMs};
  sessions_[events::sha256(session.id)] =
      LiveSession{link.actor, now + kIdleTimeoutMs, session.expiresAt};
  return session;
}

std::optional<events::Actor> ConsoleSessions::authenticate(std::string_view sessionId) {
  const int64_t now = clock_();
  auto it = sessions_.find(events::sha256(sessionId));
  if (it == sessions_.end()) return std::nullopt;
  LiveSession& s = it->second;
  if (now >= s.idleUntil || now >= s.endsAt) {
    sessions_.erase(it);
    return std::nullopt;
  }
  s.idleUntil = now + kIdleTimeoutMs;
  return s.actor;
}

void ConsoleSessions::end(std::string_view sessionId) { sessions_.erase(events::sha256(sessionId)); }

void ConsoleSessions::sweep(int64_t now) {
  if (now < nextSweep_) return;
  nextSweep_ = now + kSweepEveryMs;
  std::erase_if(links_, [now](const auto& entry) { return now >= entry.second.expiresAt; });
  std::erase_if(sessions_, [now](const auto& entry) {
    return now >= entry.second.idleUntil || now >= entry.second.endsAt;
  });
}

std::string sessionCookie(std::string_view sessionId, bool secure) {
  std::string c(kSessionCookie);
  c += '=';
  c += sessionId;
  c += "; Path=/; HttpOnly; SameSite=Strict; Max-Age=";
  c += std::to_string(ConsoleSessions::kMaxLifetimeMs / 1000);
  if (secure) c += "; Secure";
  return c;
}

std::string clearedSessionCookie(bool secure) {
  std::string c(kSessionCookie);
  c += "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0";
  if (secure) c += "; Secure";
  return c;
}

std::optional<std::string> sessionIdFromCookies(std::string_view header) {
  while (!header.empty()) {
    const size_t semi = header.find(';');
    std::string_view pair = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    while (!pair.empty() && (pair.front() == ' ' || pair.front() == '\t')) pair.remove_prefix(1);
    while (!pair.empty() && (pair.back() == ' ' || pair.back() == '\t')) pair.remove_suffix(1);
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos || pair.substr(0, eq) != kSessionCookie) continue;
    std::string_view value = pair.substr(eq + 1);
    if (value.empty()) return std::nullopt;
    return std::string(value);
  }
  return std::nullopt;
}

}  // namespace pitlog::server::http
