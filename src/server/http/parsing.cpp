#include "server/http/parsing.h"

#include <kj/encoding.h>

#include <algorithm>
#include <cctype>
#include <limits>

namespace pitlog::server::http {

namespace {

bool isOws(char c) { return c == ' ' || c == '\t'; }

std::string_view trimOws(std::string_view s) {
  while (!s.empty() && isOws(s.front())) s.remove_prefix(1);
  while (!s.empty() && isOws(s.back())) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && lower(a) == lower(b);
}

// RFC 9110 tchar: the characters of a token (method names, media types, parameter names).
bool isTchar(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool isToken(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), isTchar); }

// etagc = %x21 / %x23-7E / obs-text
bool isEtagc(char c) {
  auto u = static_cast<unsigned char>(c);
  return u == 0x21 || (u >= 0x23 && u <= 0x7e) || u >= 0x80;
}

// The version an opaque tag names, when it is one in the form pitd writes ("0", "17").
std::optional<uint32_t> versionOf(std::string_view opaque) {
  if (opaque.empty() || opaque.size() > 10) return std::nullopt;
  if (!std::all_of(opaque.begin(), opaque.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  if (opaque.size() > 1 && opaque.front() == '0') return std::nullopt;
  uint64_t v = std::stoull(std::string(opaque));
  if (v > std::numeric_limits<uint32_t>::max()) return std::nullopt;
  return static_cast<uint32_t>(v);
}

std::optional<std::string> decodeComponent(std::string_view text, bool plusIsSpace) {
  auto decoded = plusIsSpace ? kj::decodeWwwForm(kj::arrayPtr(text.data(), text.size()))
                             : kj::decodeUriComponent(kj::arrayPtr(text.data(), text.size()));
  if (decoded.hadErrors) return std::nullopt;
  return std::string(decoded.begin(), decoded.size());
}

// The credentials after `<scheme> ` (scheme case-insensitive, surrounding whitespace dropped);
// nullopt for another scheme. Empty when the scheme stands alone.
std::optional<std::string_view> schemeCredentials(std::string_view authorization,
                                                  std::string_view scheme) {
  std::string_view s = trimOws(authorization);
  if (s.size() < scheme.size() || !equalsIgnoreCase(s.substr(0, scheme.size()), scheme)) {
    return std::nullopt;
  }
  std::string_view rest = s.substr(scheme.size());
  if (rest.empty()) return rest;
  if (!isOws(rest.front())) return std::nullopt;  // "Bearerx": another scheme
  return trimOws(rest);
}

}  // namespace

std::optional<std::string_view> bearerCredentials(std::string_view authorization) {
  return schemeCredentials(authorization, "bearer");
}

std::optional<BasicCredentials> basicCredentials(std::string_view authorization) {
  auto text = schemeCredentials(authorization, "basic");
  if (!text) return std::nullopt;
  BasicCredentials out;
  auto decoded = kj::decodeBase64(kj::arrayPtr(text->data(), text->size()));
  if (text->empty() || decoded.hadErrors) return out;
  std::string_view pair(reinterpret_cast<const char*>(decoded.begin()), decoded.size());
  const size_t colon = pair.find(':');  // an encoded id holds no ':' of its own
  if (colon == std::string_view::npos) return out;
  auto id = decodeComponent(pair.substr(0, colon), true);
  out.secretAsSent = std::string(pair.substr(colon + 1));
  auto secret = decodeComponent(out.secretAsSent, true);
  if (!id) return out;
  out.clientId = std::move(*id);
  // A secret whose escapes do not decode can only have been sent unencoded.
  out.secret = secret ? std::move(*secret) : out.secretAsSent;
  out.wellFormed = true;
  return out;
}

std::optional<commands::IfMatch> parseIfMatch(std::string_view header) {
  commands::IfMatch result;
  std::string_view s = trimOws(header);
  if (s == "*") {
    result.any = true;
    return result;
  }
  size_t tags = 0;
  size_t i = 0;
  while (i < s.size()) {
    // #rule lists allow empty elements: skip separators and whitespace.
    if (s[i] == ',' || isOws(s[i])) {
      ++i;
      continue;
    }
    bool weak = false;
    if (s.substr(i, 2) == "W/") {
      weak = true;
      i += 2;
    }
    if (i >= s.size() || s[i] != '"') return std::nullopt;
    size_t close = s.find('"', i + 1);
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view opaque = s.substr(i + 1, close - i - 1);
    if (!std::all_of(opaque.begin(), opaque.end(), isEtagc)) return std::nullopt;
    i = close + 1;
    while (i < s.size() && isOws(s[i])) ++i;
    if (i < s.size() && s[i] != ',') return std::nullopt;
    ++tags;
    if (weak) continue;
    if (auto v = versionOf(opaque)) result.versions.push_back(*v);
  }
  if (tags == 0) return std::nullopt;
  return result;
}

std::optional<MediaType> parseMediaType(std::string_view header) {
  std::string_view s = trimOws(header);
  size_t semi = s.find(';');
  std::string_view full = trimOws(s.substr(0, semi));
  size_t slash = full.find('/');
  if (slash == std::string_view::npos || !isToken(full.substr(0, slash)) ||
      !isToken(full.substr(slash + 1))) {
    return std::nullopt;
  }
  MediaType m;
  m.type = lower(full);
  std::string_view params = semi == std::string_view::npos ? std::string_view() : s.substr(semi + 1);
  while (!params.empty()) {
    size_t next = params.find(';');
    std::string_view param = trimOws(params.substr(0, next));
    params = next == std::string_view::npos ? std::string_view() : params.substr(next + 1);
    if (param.empty()) continue;
    size_t eq = param.find('=');
    if (eq == std::string_view::npos || !isToken(param.substr(0, eq))) return std::nullopt;
    std::string_view value = param.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    } else if (!isToken(value)) {
      return std::nullopt;
    }
    if (equalsIgnoreCase(param.substr(0, eq), "charset")) m.charset = lower(value);
  }
  return m;
}

std::optional<std::vector<std::string>> splitPath(std::string_view path) {
  if (path.empty() || path.front() != '/') return std::nullopt;
  std::vector<std::string> segments;
  if (path == "/") return segments;
  std::string_view rest = path.substr(1);
  for (;;) {
    size_t slash = rest.find('/');
    std::string_view raw = rest.substr(0, slash);
    if (raw.empty()) return std::nullopt;
    auto decoded = decodeComponent(raw, false);
    if (!decoded) return std::nullopt;
    segments.push_back(std::move(*decoded));
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  return segments;
}

std::optional<FormFields> parseForm(std::string_view text) {
  FormFields fields;
  while (!text.empty()) {
    size_t amp = text.find('&');
    std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    auto name = decodeComponent(pair.substr(0, eq), true);
    auto value = eq == std::string_view::npos ? std::optional<std::string>(std::string())
                                              : decodeComponent(pair.substr(eq + 1), true);
    if (!name || !value) return std::nullopt;
    fields.emplace_back(std::move(*name), std::move(*value));
  }
  return fields;
}

std::optional<uint64_t> parsePosition(std::string_view header) {
  if (header.empty() || header.size() > 20) return std::nullopt;
  uint64_t value = 0;
  for (char c : header) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;  // past 2^64 - 1
    value = value * 10 + digit;
  }
  return value;
}

}  // namespace pitlog::server::http
