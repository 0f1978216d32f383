#include "server/http/console_sessions.h"

#include <openssl/rand.h>

#include <array>
#include <stdexcept>

#include "server/http/memory_console_session_store.h"

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

ConsoleKey linkKey(std::string_view code) {
  return ConsoleKey{ConsoleKey::Kind::link, events::sha256(code)};
}

ConsoleKey sessionKey(std::string_view id) {
  return ConsoleKey{ConsoleKey::Kind::session, events::sha256(id)};
}

}  // namespace

ConsoleSessions::ConsoleSessions(Clock clock, std::unique_ptr<ConsoleSessionStore> store)
    : clock_(std::move(clock)), store_(std::move(store)) {
  if (!store_) store_ = std::make_unique<MemoryConsoleSessionStore>();
}

ConsoleSessions::~ConsoleSessions() = default;

void ConsoleSessions::setStore(std::unique_ptr<ConsoleSessionStore> store) {
  store_ = store ? std::move(store) : std::make_unique<MemoryConsoleSessionStore>();
}

ConsoleAnswer<ConsoleSessions::Link> ConsoleSessions::issueLink(const events::Actor& actor) {
  const int64_t now = clock_();
  sweep(now);
  Link link{newSecret(), now + kLinkLifetimeMs};
  ConsoleEntry entry;
  entry.actor = actor;
  entry.endsAt = link.expiresAt;
  std::string error;
  switch (store_->create(linkKey(link.code), entry, &error)) {
    case ConsoleSessionStore::Status::ok:
      return {std::move(link), std::nullopt};
    case ConsoleSessionStore::Status::unavailable:
      return ConsoleAnswer<Link>::down(std::move(error));
    default:  // a 256-bit secret that exists already: the CSPRNG is broken
      throw std::runtime_error("a new console sign-in code collided with a stored one");
  }
}

ConsoleAnswer<ConsoleSessions::Session> ConsoleSessions::redeem(std::string_view code) {
  using Status = ConsoleSessionStore::Status;
  const int64_t now = clock_();
  sweep(now);
  const ConsoleKey key = linkKey(code);
  std::string error;
  auto read = store_->get(key, &error);
  if (read.status == Status::unavailable) return ConsoleAnswer<Session>::down(std::move(error));
  if (read.status != Status::ok) return ConsoleAnswer<Session>::no();
  if (read.entry.spent || consoleEntryEnded(key, read.entry, now)) {
    return ConsoleAnswer<Session>::no();
  }
  // Spend it over the revision read: of two redemptions that read it unspent, one wins.
  ConsoleEntry spent = read.entry;
  spent.spent = true;
  switch (store_->update(key, spent, read.revision, &error)) {
    case Status::ok:
      break;
    case Status::unavailable:
      return ConsoleAnswer<Session>::down(std::move(error));
    default:
      return ConsoleAnswer<Session>::no();  // another redemption won
  }
  Session session{newSecret(), read.entry.actor, now + kMaxLifetimeMs};
  ConsoleEntry live;
  live.actor = session.actor;
  live.endsAt = session.expiresAt;
  live.idleUntil = now + kIdleTimeoutMs;
  switch (store_->create(sessionKey(session.id), live, &error)) {
    case Status::ok:
      return {std::move(session), std::nullopt};
    case Status::unavailable:
      // The link is spent and no session opened: the user asks for a new link.
      return ConsoleAnswer<Session>::down(std::move(error));
    default:
      throw std::runtime_error("a new console session id collided with a stored one");
  }
}

ConsoleAnswer<events::Actor> ConsoleSessions::authenticate(std::string_view sessionId) {
  using Status = ConsoleSessionStore::Status;
  const int64_t now = clock_();
  const ConsoleKey key = sessionKey(sessionId);
  std::string error;
  auto read = store_->get(key, &error);
  if (read.status == Status::unavailable) {
    return ConsoleAnswer<events::Actor>::down(std::move(error));
  }
  if (read.status != Status::ok) return ConsoleAnswer<events::Actor>::no();
  if (consoleEntryEnded(key, read.entry, now)) {
    // Forgotten once seen ended, so that no clock step back revives it. Best effort: the bucket's
    // TTL collects what a failed delete leaves.
    (void)store_->remove(key, &error);
    return ConsoleAnswer<events::Actor>::no();
  }
  const int64_t lastRefresh = read.entry.idleUntil - kIdleTimeoutMs;
  if (now - lastRefresh >= kRefreshEveryMs) {
    ConsoleEntry refreshed = read.entry;
    refreshed.idleUntil = now + kIdleTimeoutMs;
    // Over the revision read, so that a sign-out on another node in between is never undone. A
    // conflict means another request refreshed or ended it: read what it did.
    if (store_->update(key, refreshed, read.revision, &error) == Status::conflict) {
      read = store_->get(key, &error);
      if (read.status == Status::unavailable) {
        return ConsoleAnswer<events::Actor>::down(std::move(error));
      }
      if (read.status != Status::ok || consoleEntryEnded(key, read.entry, now)) {
        return ConsoleAnswer<events::Actor>::no();
      }
    }
    // An unavailable store here leaves the deadline as it was: the session was just read live, and
    // the next request tries the refresh again.
  }
  return {read.entry.actor, std::nullopt};
}

std::optional<std::string> ConsoleSessions::end(std::string_view sessionId) {
  std::string error;
  if (store_->remove(sessionKey(sessionId), &error) == ConsoleSessionStore::Status::unavailable) {
    return error;
  }
  return std::nullopt;
}

void ConsoleSessions::sweep(int64_t now) {
  if (now < nextSweep_) return;
  nextSweep_ = now + kSweepEveryMs;
  store_->sweep(now);
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
