#include "server/http/json_escapes.h"

namespace pitlog::server::http {

namespace {

std::optional<uint32_t> hex4(std::string_view s, size_t at) {
  if (at + 4 > s.size()) return std::nullopt;
  uint32_t v = 0;
  for (size_t i = at; i < at + 4; ++i) {
    char c = s[i];
    v <<= 4;
    if (c >= '0' && c <= '9') {
      v |= static_cast<uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      v |= static_cast<uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      v |= static_cast<uint32_t>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
  }
  return v;
}

void appendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

}  // namespace

std::optional<std::string> rewriteUnicodeEscapes(std::string_view s, std::string* error) {
  std::string out;
  out.reserve(s.size());
  bool inString = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (!inString || c != '\\') {
      if (c == '"') inString = !inString;
      out += c;
      continue;
    }
    if (i + 1 >= s.size() || s[i + 1] != 'u') {
      // Another escape (\n, \", \\ ...), or a truncated one the codec will reject: copy both.
      out += c;
      if (i + 1 < s.size()) out += s[++i];
      continue;
    }
    auto unit = hex4(s, i + 2);
    if (!unit) {
      *error = "a \\u escape needs four hex digits";
      return std::nullopt;
    }
    i += 5;  // at the last hex digit
    uint32_t cp = *unit;
    if (cp >= 0xdc00 && cp <= 0xdfff) {
      *error = "a \\u escape is an unpaired low surrogate";
      return std::nullopt;
    }
    if (cp >= 0xd800 && cp <= 0xdbff) {
      auto low = s.substr(i + 1, 2) == "\\u" ? hex4(s, i + 3) : std::nullopt;
      if (!low || *low < 0xdc00 || *low > 0xdfff) {
        *error = "a \\u escape is an unpaired high surrogate";
        return std::nullopt;
      }
      cp = 0x10000 + ((cp - 0xd800) << 10) + (*low - 0xdc00);
      i += 6;
    }
    if (cp == 0) {
      // Valid JSON (RFC 8259), but a raw NUL would end the codec's input: the codec decodes
      // this escape itself (its hex bug spares "0000"), and the field's rule judges the text.
      out += "\\u0000";
      continue;
    }
    // Quote and backslash keep their escapes; control characters go in raw, which the codec
    // reads as themselves (and the rules on names and descriptions then judge).
    if (cp == '"' || cp == '\\') out += '\\';
    appendUtf8(out, cp);
  }
  return out;
}

}  // namespace pitlog::server::http
