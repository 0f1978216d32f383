#include "event_text.h"

#include <cstdio>

namespace pitlog::tools {

using events::textView;
using events::schema::Actor;
using events::schema::Event;

namespace {

const char* roleText(Actor::Role r) {
  switch (r) {
    case Actor::Role::ADMIN: return "admin";
    case Actor::Role::USER: return "user";
    case Actor::Role::SYSTEM: return "system";
  }
  return "unknown";
}

const char* reasonText(events::schema::Expired::Reason r) {
  switch (r) {
    case events::schema::Expired::Reason::MANUAL: return "manual";
    case events::schema::Expired::Reason::WINDOW_ELAPSED: return "window_elapsed";
    case events::schema::Expired::Reason::ROTATED_NOW: return "rotated_now";
    case events::schema::Expired::Reason::REVOKED: return "revoked";
  }
  return "unknown";
}

std::string scopesText(capnp::List<capnp::Text>::Reader scopes) {
  std::string out;
  for (auto s : scopes) {
    if (!out.empty()) out += ',';
    out += textView(s);
  }
  return out.empty() ? "-" : out;
}

}  // namespace

std::string shortened(std::string_view s, size_t maxBytes) {
  if (s.size() <= maxBytes) return std::string(s);
  size_t cut = maxBytes;
  // Back to the start of a UTF-8 character: never leave half of one.
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xc0) == 0x80) cut--;
  return std::string(s.substr(0, cut)) + "…";
}

namespace {

// Characters that reorder or hide the text around them on a terminal (zero-width and
// bidirectional controls: U+200B-U+200F, U+202A-U+202E, U+2060-U+2069): the code point of the
// 3 bytes at i, when they are one.
std::optional<unsigned> formattingCharacter(std::string_view s, size_t i) {
  if (i + 2 >= s.size() || static_cast<unsigned char>(s[i]) != 0xe2) return std::nullopt;
  const unsigned b1 = static_cast<unsigned char>(s[i + 1]), b2 = static_cast<unsigned char>(s[i + 2]);
  if ((b1 & 0xc0) != 0x80 || (b2 & 0xc0) != 0x80) return std::nullopt;
  const unsigned cp = 0x2000 | ((b1 & 0x3f) << 6) | (b2 & 0x3f);
  const bool hiding = (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
                      (cp >= 0x2060 && cp <= 0x2069);
  return hiding ? std::optional<unsigned>(cp) : std::nullopt;
}

}  // namespace

std::string quotedText(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    unsigned char u = static_cast<unsigned char>(c);
    if (auto cp = formattingCharacter(s, i)) {
      char buf[12];
      std::snprintf(buf, sizeof(buf), "\\u%04x", *cp);
      out += buf;
      i += 2;
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

std::string joinList(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

std::string tokenIdOf(capnp::Data::Reader digest) {
  return events::tokenIdOf(events::digestField(digest));
}

// A system actor other than the scheduler (the revocation route's "revocation") is named.
static std::string systemActorName(Actor::Reader actor) {
  const auto user = textView(actor.getUserId());
  return user == "system" ? std::string("system") : std::string(user) + ":system";
}

std::string actorText(Actor::Reader actor) {
  if (actor.getRole() == Actor::Role::SYSTEM) return systemActorName(actor);
  return std::string(textView(actor.getUserId())) + " (" + roleText(actor.getRole()) + ")";
}

std::string actorShort(Actor::Reader actor) {
  if (actor.getRole() == Actor::Role::SYSTEM) return systemActorName(actor);
  return std::string(textView(actor.getAccountId())) + "/" +
         std::string(textView(actor.getUserId())) + ":" + roleText(actor.getRole());
}

std::string dataSummary(Event::Body::Reader body) {
  switch (body.which()) {
    case Event::Body::CREATED: {
      auto c = body.getCreated();
      return "name=" + quotedText(textView(c.getName())) + " scopes=" + scopesText(c.getScopes()) +
             " token=" + tokenIdOf(c.getToken()) + " hint=pit_…" +
             std::string(textView(c.getTokenHint()));
    }
    case Event::Body::SCOPES_UPDATED: {
      auto s = body.getScopesUpdated();
      return "name=" + quotedText(textView(s.getName())) + " scopes=" + scopesText(s.getScopes()) +
             " description=" + quotedText(shortened(textView(s.getDescription()), 60));
    }
    case Event::Body::ROTATION_STARTED: {
      auto r = body.getRotationStarted();
      return "token=" + tokenIdOf(r.getToken()) + " previous=" + tokenIdOf(r.getPreviousToken()) +
             " previousExpiresAt=" + events::formatRfc3339(r.getPreviousExpiresAt()) +
             (r.getExpireNow() ? " expireNow" : "");
    }
    case Event::Body::ROTATION_CANCELLED: {
      auto r = body.getRotationCancelled();
      return "cancelled=" + tokenIdOf(r.getCancelledToken()) +
             " restored=" + tokenIdOf(r.getRestoredToken());
    }
    case Event::Body::EXPIRED: {
      auto x = body.getExpired();
      return "token=" + tokenIdOf(x.getToken()) + " reason=" + reasonText(x.getReason()) +
             (x.hasSource() ? " source=" + quotedText(shortened(textView(x.getSource()), 60)) : "");
    }
    case Event::Body::DELETED: return "";
    case Event::Body::PERMISSION_CHANGED: {
      auto p = body.getPermissionChanged();
      return "user=" + std::string(textView(p.getUserId())) +
             " allowed=" + (p.getAllowed() ? "true" : "false");
    }
    case Event::Body::WEBHOOK_SUBSCRIBED: {
      auto w = body.getWebhookSubscribed();
      std::string types;
      for (auto t : w.getEvents()) types += (types.empty() ? "" : ",") + std::string(textView(t));
      return "webhook=" + std::string(textView(w.getWebhookId())) +
             " url=" + quotedText(shortened(textView(w.getUrl()), 80)) + " events=" + types;
    }
    case Event::Body::WEBHOOK_REMOVED:
      return "webhook=" + std::string(textView(body.getWebhookRemoved().getWebhookId()));
  }
  return "(unknown type " + std::to_string(static_cast<unsigned>(body.which())) + ")";
}

}  // namespace pitlog::tools
